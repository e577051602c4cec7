"""Streaming batch predict: peak memory on 100,000 tabular rows and 10,000 images.

    python -m benchmarks.memory [--quick]

Each measurement runs in a fresh process; the number reported is how much the resident-memory high-water
mark rises during ``predict`` (after the table and predictor are loaded), next to what materialising the
whole table as one input tensor would take. Results go to a section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd

from .report import replace_section

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Streaming batch predict: memory"


def _current_rss() -> int:
    """Resident memory now (Linux /proc), in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


class _RssSampler(threading.Thread):
    """Samples resident memory every 5 ms; ``highest`` is the peak seen while it ran."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.highest, self.running = _current_rss(), True

    def run(self) -> None:
        while self.running:
            self.highest = max(self.highest, _current_rss())
            time.sleep(0.005)


def predict_in_this_process(predictor_dir: str, table_file: str, rows: int, out: str) -> None:
    """Load, replicate the table to ``rows`` rows, then predict while watching the RSS high-water mark."""
    from automm.core import MultiModalPredictor

    predictor = MultiModalPredictor.load(predictor_dir)
    base = pd.read_parquet(table_file)
    table = pd.concat([base] * (rows // len(base) + 1), ignore_index=True).iloc[:rows]
    predictor.predict(table.head(2))  # warm up
    before = _current_rss()
    sampler = _RssSampler()
    sampler.start()
    started = time.perf_counter()
    predictions = predictor.predict(table)
    seconds = time.perf_counter() - started
    sampler.running = False
    sampler.join()
    Path(out).write_text(json.dumps({"rows": len(predictions), "seconds": seconds, "rss_before": before,
                                     "rss_peak": sampler.highest}))


def _fit(train: pd.DataFrame, label: str, path: Path, hyperparameters: dict) -> None:
    from automm.core import MultiModalPredictor

    MultiModalPredictor(label=label, path=path, hyperparameters=hyperparameters).fit(train, time_limit=120)


def _measure(name: str, train: pd.DataFrame, test: pd.DataFrame, label: str, rows: int, hyperparameters: dict,
             tensor_bytes_per_row: int, work: Path) -> dict:
    path = work / name
    _fit(train, label, path, hyperparameters)
    test.drop(columns=[label]).to_parquet(work / f"{name}.parquet")
    out = work / f"{name}.json"
    code = ("import sys; from benchmarks.memory import predict_in_this_process as p; "
            "p(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])")
    subprocess.run([sys.executable, "-c", code, str(path), str(work / f"{name}.parquet"), str(rows), str(out)],
                   cwd=ROOT, check=True, env={**os.environ, "HF_HUB_OFFLINE": "1"}, stderr=subprocess.DEVNULL)
    result = json.loads(out.read_text())
    result.update(name=name, whole_tensor_bytes=rows * tensor_bytes_per_row)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1,000 rows and 200 images")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from benchmarks import datasets

    tabular_rows, image_rows = (1_000, 200) if args.quick else (100_000, 10_000)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        train, test = datasets.penguins()
        features = train.shape[1] - 1
        results.append(_measure("penguins_tabular", train, test, "species", tabular_rows,
                                {"optim.max_epochs": 5}, features * 4, work))
        train, test = datasets.fashion_mnist(500, 500, work / "images")
        size = 64
        results.append(_measure("fashion_mnist_images", train, test, "label", image_rows,
                                {"model.image.image_size": size, "optim.max_epochs": 1}, 3 * size * size * 4, work))
    lines = [SECTION, "", f"`python -m benchmarks.memory` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. "
             "Resident memory sampled every 5 ms during one `predict` call over the whole table (rise = peak "
             "during predict minus RSS just before it, with the predictor and the table already loaded), against the "
             "size of that table as a single float32 input tensor (what a non-streaming predict would "
             "allocate before the network even runs).", "",
             "| Table | Rows | Predict time | RSS before → peak during predict | Rise | Whole-table input tensor "
             "| Rise ÷ tensor |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        rise = max(r["rss_peak"] - r["rss_before"], 0)
        lines.append(f"| {r['name']} | {r['rows']:,} | {r['seconds']:.1f} s | {r['rss_before'] / 2**20:,.0f} → "
                     f"{r['rss_peak'] / 2**20:,.0f} MiB | {rise / 2**20:.0f} MiB | "
                     f"{r['whole_tensor_bytes'] / 2**20:.0f} MiB | {rise / r['whole_tensor_bytes']:.2f}x |")
    section = "\n".join(lines) + "\n"
    print(section)
    report = ROOT / "BENCHMARKS.md"
    text = report.read_text() if report.exists() else "# Benchmarks\n"
    report.write_text(replace_section(text, section))
    return 0


if __name__ == "__main__":
    sys.exit(main())
