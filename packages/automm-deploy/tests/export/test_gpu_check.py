"""What of the GPU path can be checked on a CPU: the execution providers chosen for each device and TensorRT's
options, and ``benchmarks/gpu_check.py`` (the GPU machine's script) saying what it would run, and that it cannot."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from automm.deploy import runtime

ROOT = Path(__file__).resolve().parents[4]
ALL = ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]


def test_providers_for_each_device_with_tensorrt_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(runtime.ort, "get_available_providers", lambda: ALL)  # an onnxruntime-gpu with TensorRT
    cached = {"trt_fp16_enable": True, "trt_engine_cache_enable": True, "trt_engine_cache_path": str(tmp_path)}
    assert runtime.providers_for("tensorrt", fp16=True, cache=tmp_path) == [(ALL[0], cached), *ALL[1:]]
    assert runtime.providers_for("tensorrt") == [(ALL[0], {"trt_fp16_enable": False,
                                                           "trt_engine_cache_enable": False}), *ALL[1:]]
    assert runtime.providers_for("cuda", fp16=True) == ALL[1:] and runtime.providers_for("cpu") == ALL[2:]
    assert not caplog.records
    monkeypatch.setattr(runtime.ort, "get_available_providers", lambda: ALL[1:])  # onnxruntime-gpu, no TensorRT
    with caplog.at_level(logging.WARNING, logger="automm.deploy"):
        assert runtime.providers_for("tensorrt", fp16=True, cache=tmp_path) == ALL[1:]
    assert "TensorrtExecutionProvider is not available" in caplog.text and "running on CUDAExecutionProvider" in \
        caplog.text


def test_two_exports_of_one_name_keep_their_tensorrt_engines_apart(tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "export", tmp_path / "b" / "export"
    assert runtime.tensorrt_cache(first) != runtime.tensorrt_cache(second)
    assert runtime.tensorrt_cache(first) == runtime.tensorrt_cache(tmp_path / "a" / "." / "export")
    assert runtime.tensorrt_cache(first).name.startswith("export-")


def _gpu_check(*options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "benchmarks.gpu_check", *options], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_the_gpu_check_dry_run_names_what_it_would_run(tmp_path: Path) -> None:
    done = _gpu_check("--dry-run", "--out", str(tmp_path / "dry.json"))
    assert done.returncode == 0, done.stderr
    found = json.loads((tmp_path / "dry.json").read_text())
    assert found["ran"] is False and "dry run" in done.stderr
    assert {"torch", "cuda_device", "onnxruntime", "providers"} <= set(found["environment"])
    command = found["tests"]["command"]
    assert " -m gpu " in command and all(f"packages/automm-{name}/tests" in command
                                         for name in ("core", "classify", "match", "detect", "segment", "deploy"))


def test_the_gpu_check_without_a_gpu_says_so_and_runs_nothing(tmp_path: Path) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU: the check runs for real (nox -s gpu)")
    done = _gpu_check("--out", str(tmp_path / "out.json"))
    assert done.returncode == 3, done.stderr
    assert "torch sees no CUDA GPU" in done.stderr and "nothing run" in done.stderr
    found = json.loads((tmp_path / "out.json").read_text())
    assert found["ran"] is False and "benchmark" not in found and "gpu" in found["missing"]
