"""Shared machinery of the task benchmarks (detection, segmentation): one fit per fresh process, timings.

Each case runs ``benchmarks.<module>.case_in_this_process(spec, out)`` in a new Python process, so its
``ru_maxrss`` is that fit's own peak; the parent collects the JSON it writes.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """(seconds, result) of one call."""
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def load_average() -> str:
    return " / ".join(f"{v:.1f}" for v in os.getloadavg())


def run_record(module: str, argv: list[str] | None) -> dict[str, Any]:
    """The start of a benchmark run's results: its command line, date, load average and library source digest
    (``finish`` adds the end's)."""
    return {"command": " ".join([f"python -m benchmarks.{module}", *(argv or sys.argv[1:])]),
            "date": time.strftime("%Y-%m-%d %H:%M %Z"), "load_start": load_average(),
            "source_digest": [source_digest()]}


def source_digest() -> str:
    """Short hash of the library's Python sources, to tell which code state the numbers belong to."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "packages").glob("*/src/**/*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def peak_rss() -> int:
    """The process's resident-memory high-water mark in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_case(module: str, work: Path, spec: dict[str, Any], headline: str, python: str = sys.executable,
             env: dict[str, str] | None = None) -> dict[str, Any]:
    """One case in a fresh process; its log goes to ``work/<name>.log``. A failure gives ``{"error": last line}``.

    ``headline`` is the score printed when it finishes (e.g. "map", "iou").
    """
    out, log = work / f"{spec['name']}.json", work / f"{spec['name']}.log"
    out.unlink(missing_ok=True)
    print(f"{spec['name']} ... (load average {load_average()})", flush=True)
    code = (f"import sys, json; from benchmarks.{module} import case_in_this_process as f; "
            "f(json.loads(sys.argv[1]), sys.argv[2])")
    started = time.perf_counter()
    with log.open("w") as stream:
        try:
            process = subprocess.run([python, "-c", code, json.dumps(spec), str(out)], cwd=ROOT, stdout=stream,
                                     stderr=subprocess.STDOUT, env={**os.environ, **OFFLINE, **(env or {})},
                                     timeout=3 * spec["time_limit"] + 900)
            failed = process.returncode != 0
        except subprocess.TimeoutExpired:
            failed = True
    if failed or not out.exists():
        lines = [line for line in log.read_text().splitlines() if line.strip()]
        error = next((line for line in reversed(lines) if "Error" in line or "error" in line), lines[-1] if lines else
                     "no output")
        print(f"  {spec['name']}: FAILED: {error} (log: {log})", flush=True)
        return {**spec, "error": error.strip(), "log": str(log.relative_to(ROOT)), "wall_s": time.perf_counter() -
                started}
    result = json.loads(out.read_text())
    print(f"  {spec['name']}: {headline} {result['scores'][headline]:.3f} in {result['wall_s']:.0f} s", flush=True)
    return result


def predict_vs_bare(predictor: Any, data: Any, rows: pd.DataFrame, repeats: int) -> dict[str, Any]:
    """``predict(data)`` vs the bare forward of ``rows`` collated once beforehand, and vs collate + forward.

    The same chunks of ``env.eval_batch_size`` rows, interleaved, ``repeats`` times each. ``predicted`` and
    ``bare`` in the result are the last outputs of each, for the caller to compare.
    """
    import torch

    state = predictor.state
    net, processors, size = state.net, state.processors, state.config.env.eval_batch_size
    chunks = [rows.iloc[s : s + size] for s in range(0, len(rows), size)]

    def bare(batches: list[Any]) -> list[Any]:
        net.eval()
        with torch.inference_mode():
            return [output for batch in batches for output in net(batch)]

    batches = [processors.collate(chunk) for chunk in chunks]
    predictor.predict(rows.head(2)), bare(batches[:1])  # warm-up
    times: dict[str, list[float]] = {"predict": [], "bare": [], "collate_bare": []}
    predicted = outputs = None
    for _ in range(repeats):
        seconds, predicted = timed(lambda: predictor.predict(data))
        times["predict"].append(seconds)
        seconds, outputs = timed(lambda: bare(batches))
        times["bare"].append(seconds)
        times["collate_bare"].append(timed(lambda: bare([processors.collate(c) for c in chunks]))[0])
    return {"images": len(rows), "batch_size": size, "repeats": repeats,
            "median_s": {k: median(v) for k, v in times.items()}, "all_s": times, "predicted": predicted,
            "bare": outputs}


def composited_splits(write: Callable[..., Path], folder: Path, counts: dict[str, int], **options: Any,
                      ) -> dict[str, str]:
    """Fresh Fashion-MNIST-on-photos splits in ``folder``: ``write(folder, count, "fashion_mnist", split_name=,
    seed=, **options)`` per split, split ``i`` seeded ``i``; the paths ``write`` returns, by split name."""
    import shutil

    from .datasets import fashion_mnist_dir

    shutil.rmtree(folder, ignore_errors=True)
    return {name: str(write(folder, count, "fashion_mnist", split_name=name, seed=seed, background="photos",
                            fashion_dir=fashion_mnist_dir(), **options))
            for seed, (name, count) in enumerate(counts.items())}


def finish(results: dict[str, Any], started: float, render: Callable[[dict[str, Any]], str], work: Path,
           quick: bool) -> None:
    """Record the load, source digest and wall time at the end of a run, then ``publish`` its rendered section."""
    results["load_end"] = load_average()
    results["source_digest"].append(source_digest())
    results["wall_s"] = time.perf_counter() - started
    publish(results, render(results), work, quick)


def publish(results: dict[str, Any], section: str, work: Path, quick: bool) -> None:
    """Print ``section``, keep ``results`` as JSON in ``work``, and (full runs only) put it into BENCHMARKS.md."""
    from .report import replace_section

    print("\n" + section)
    (work / ("results-quick.json" if quick else "results.json")).write_text(json.dumps(results, indent=1))
    if not quick:
        report = ROOT / "BENCHMARKS.md"
        report.write_text(replace_section(report.read_text() if report.exists() else "# Benchmarks\n", section))
        print(f"wrote the {section.splitlines()[0]!r} section of {report}")
