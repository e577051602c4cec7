"""The GPU machine's checks, in one script (never part of CI): every package's ``gpu``-marked tests, then a short
benchmark of onnxruntime's CUDA execution provider against eager torch on the same GPU, fp32 and fp16, for one
text and one image export, and the TensorRT execution provider where this onnxruntime has it.

    python -m benchmarks.gpu_check                   # ~5-8 min on one GPU; writes benchmarks/.work/gpu_check.json
    python -m benchmarks.gpu_check --dry-run         # what would run and on what: runs nothing
    nox -s gpu                                       # the same in a fresh environment with onnxruntime-gpu

Without a CUDA GPU (torch sees none) it runs nothing and says so; without onnxruntime-gpu (no
CUDAExecutionProvider) the torch rows are measured and the onnxruntime rows name what to install. The results
file holds the environment, the tests' outcome and, per case and engine, rows/s and the share of labels equal to
torch fp32's. Models are built from configs (no download): a BERT-base-sized text encoder with a small vocabulary
and timm's resnet18 at 224 px, fitted one epoch on scikit-learn's digits, so only the speed means anything.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any

from .fit_cases import OFFLINE, ROOT

OUT = ROOT / "benchmarks" / ".work" / "gpu_check.json"
TEST_PATHS = [*(f"packages/automm-{name}/tests" for name in ("core", "classify", "match", "detect", "segment",
                                                              "deploy")), "tests"]
TEST_TIMEOUT_S = 300
ROWS, REPEATS = 1024, 3
CUDA, TENSORRT = "CUDAExecutionProvider", "TensorrtExecutionProvider"


def environment() -> dict[str, Any]:
    """What this machine offers: torch's CUDA device, onnxruntime's version and execution providers."""
    import onnxruntime as ort
    import torch

    cuda = torch.cuda.is_available()
    return {"torch": torch.__version__, "cuda_device": torch.cuda.get_device_name(0) if cuda else None,
            "onnxruntime": ort.__version__, "providers": ort.get_available_providers()}


def problems(env: dict[str, Any]) -> dict[str, str]:
    """Why parts cannot run here: "gpu" (nothing runs), "onnxruntime" (no CUDA EP), "tensorrt" (no TensorRT EP)."""
    found = {}
    if env["cuda_device"] is None:
        found["gpu"] = "torch sees no CUDA GPU (torch.cuda.is_available() is False): run this on a GPU machine."
    if CUDA not in env["providers"]:
        found["onnxruntime"] = (f"onnxruntime {env['onnxruntime']} has no {CUDA} (it has {env['providers']}): "
                                "pip uninstall -y onnxruntime && pip install onnxruntime-gpu")
    if TENSORRT not in env["providers"]:
        found["tensorrt"] = (f"onnxruntime has no {TENSORRT}: install onnxruntime-gpu built with TensorRT and "
                             "TensorRT's libraries (pip install tensorrt-cu12, from pypi.nvidia.com).")
    return found


def test_command(junit: Path) -> list[str]:
    return [sys.executable, "-m", "pytest", *TEST_PATHS, "-m", "gpu", "-q", "-p", "no:cacheprovider",
            f"--junitxml={junit}"]


def run_tests(junit: Path) -> dict[str, Any]:
    """The gpu-marked tests of every package (at most TEST_TIMEOUT_S): exit status and pytest's summary line."""
    try:
        done = subprocess.run(test_command(junit), cwd=ROOT, capture_output=True, text=True, timeout=TEST_TIMEOUT_S,
                              env={**OFFLINE, **os.environ})
    except subprocess.TimeoutExpired:
        return {"error": f"the gpu tests ran past {TEST_TIMEOUT_S} s", "junit": str(junit)}
    lines = [line for line in done.stdout.splitlines() if re.search(r"\d+ (passed|failed|skipped|error)", line)]
    return {"returncode": done.returncode, "summary": lines[-1] if lines else done.stdout[-500:], "junit": str(junit)}


# ---------------------------------------------------------------------------------------------- benchmark
def digits_table(folder: Path) -> Any:
    """scikit-learn's 1,797 digits as 224-px PNGs, a caption naming the digit's side of 5, label high / low."""
    import numpy as np
    import pandas as pd
    from PIL import Image
    from sklearn.datasets import load_digits

    from automm.core.testing.tiny_models import WORDS

    digits, rng = load_digits(), np.random.default_rng(0)
    rows = []
    for n, (pixels, digit) in enumerate(zip(digits.images, digits.target)):
        path = folder / f"{n}.png"
        Image.fromarray((pixels * 255 / 16).astype(np.uint8)).resize((224, 224)).save(path)
        words = rng.choice(WORDS, size=40).tolist() + ["big" if digit >= 5 else "small"]
        rows.append({"image": str(path), "caption": " ".join(rng.permutation(words)),
                     "label": "high" if digit >= 5 else "low"})
    return pd.DataFrame(rows)


def base_sized_text_model(folder: Path) -> Path:
    """The tiny BERT's tokenizer with a BERT-base-sized encoder (12 layers, 768 wide), random weights."""
    from transformers import BertConfig, BertModel

    from automm.core.testing.tiny_models import make_tiny_text_model

    make_tiny_text_model(folder)
    vocab = len((folder / "vocab.txt").read_text().split())
    BertModel(BertConfig(vocab_size=vocab, max_position_embeddings=512)).save_pretrained(str(folder))
    return folder


def fp16_copy(export: Path, to: Path) -> Path:
    """A copy of ``export`` whose graphs compute in float16 (inputs and outputs kept float32)."""
    import shutil

    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16

    from automm.deploy.manifest import Manifest

    shutil.copytree(export, to)
    for graph in Manifest.read(to).graphs.values():
        model = convert_float_to_float16(onnx.load(str(to / graph.file)), keep_io_types=True)
        onnx.save(model, str(to / graph.file))
    return to


def rows_per_s(predict: Any, rows: Any) -> tuple[float, list[Any]]:
    """Rows/s of ``predict(rows)`` (median of REPEATS after a warm-up) and its labels."""
    labels = predict(rows)
    seconds = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        predict(rows)
        seconds.append(time.perf_counter() - started)
    return len(rows) / median(seconds), list(labels)


def bench_case(name: str, columns: list[str], hyperparameters: dict[str, Any], table: Any, work: Path,
               missing: dict[str, str]) -> dict[str, Any]:
    """One case: fit one epoch on the GPU, export, then rows/s and labels equal to torch fp32 per engine."""
    import torch

    from automm.core import MultiModalPredictor
    from automm.deploy import export, load

    train, test = table.iloc[:-ROWS], table.iloc[-ROWS:][columns]
    predictor = MultiModalPredictor(label="label", path=work / name / "predictor",
                                    hyperparameters={**hyperparameters, "optim.max_epochs": 1})
    predictor.fit(train[[*columns, "label"]], seed=0)
    folder = export(predictor, work / name / f"{name}.onnx")  # distinct names: TensorRT caches engines by name
    predictor.state.net.to("cuda")
    results: dict[str, Any] = {}
    speed, reference = rows_per_s(predictor.predict, test)
    results["torch fp32"] = {"rows_per_s": speed, "labels_equal": 1.0}

    def fp16_torch(rows: Any) -> Any:
        with torch.autocast("cuda", dtype=torch.float16):
            return predictor.predict(rows)

    engines = {"torch fp16 (autocast)": fp16_torch}
    if "onnxruntime" not in missing:
        engines["onnxruntime CUDA fp32"] = load(folder, device="cuda").predict
        engines["onnxruntime CUDA fp16"] = load(fp16_copy(folder, work / name / "export-fp16"), device="cuda").predict
    if "tensorrt" not in missing:
        engines["onnxruntime TensorRT fp16"] = load(folder, device="tensorrt", fp16=True).predict
    for engine, predict in engines.items():
        try:
            speed, labels = rows_per_s(predict, test)
        except Exception as err:  # noqa: BLE001 - a failing engine is a result of the check, not its end
            results[engine] = {"error": f"{type(err).__name__}: {' '.join(str(err).split())[:300]}"}
            continue
        equal = sum(a == b for a, b in zip(labels, reference)) / len(reference)
        results[engine] = {"rows_per_s": speed, "labels_equal": equal}
    for engine, reason in missing.items():
        if engine != "gpu":
            results[f"onnxruntime {engine}"] = {"skipped": reason}
    return results


def benchmark(work: Path, missing: dict[str, str]) -> dict[str, Any]:
    """The text and the image case on digits_table."""
    (work / "images").mkdir(parents=True, exist_ok=True)
    table = digits_table(work / "images")
    text = {"model.text.checkpoint": str(base_sized_text_model(work / "bert")),
            "model.text.max_length": 128}
    image = {"model.image.checkpoint": "resnet18", "model.image.pretrained": False,
             "model.image.image_size": 224}
    return {"text (BERT-base size, 128 tokens)": bench_case("text", ["caption"], text, table, work, missing),
            "image (resnet18, 224 px)": bench_case("image", ["image"], image, table, work, missing)}


# ---------------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=OUT, help="the results file (JSON; default: %(default)s)")
    parser.add_argument("--dry-run", action="store_true", help="say what would run and on what; run nothing")
    parser.add_argument("--skip-tests", action="store_true", help="the benchmark only")
    args = parser.parse_args(argv)
    env = environment()
    missing = problems(env)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "environment": env, "missing": missing,
                               "tests": {"command": " ".join(test_command(args.out.with_suffix(".junit.xml")))}}
    if args.dry_run or "gpu" in missing:
        results["ran"] = False
        print("\n".join([f"gpu_check: {'dry run' if args.dry_run else 'nothing run'}: environment {env}",
                         *(f"gpu_check: {reason}" for reason in missing.values()),
                         f"gpu_check: tests: {results['tests']['command']}"]), file=sys.stderr)
        args.out.write_text(json.dumps(results, indent=1))
        print(f"gpu_check: wrote {args.out}")
        return 0 if args.dry_run else 3
    started = time.perf_counter()
    if not args.skip_tests:
        results["tests"].update(run_tests(args.out.with_suffix(".junit.xml")))
        print(f"gpu_check: tests: {results['tests'].get('summary', results['tests'].get('error'))}", flush=True)
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as work:
        results["benchmark"] = benchmark(Path(work), missing)
    results["ran"], results["wall_s"] = True, time.perf_counter() - started
    args.out.write_text(json.dumps(results, indent=1))
    print(json.dumps(results["benchmark"], indent=1))
    print(f"gpu_check: wrote {args.out}")
    return 0 if results["tests"].get("returncode", 0) == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
