"""Benchmark batch prediction (``automm-deploy predict`` and ``automm.deploy.ray_data``) over large tables.

    python -m benchmarks.batch_predict           # 1,000,000 tabular rows, 20,000 text rows (~15 min, 2 cores)
    python -m benchmarks.batch_predict --quick   # 40,000 / 2,000 rows; prints only

Two exports, fitted briefly here (the batch machinery, not the model, is measured): penguins (species; numeric and
categorical columns) and fine-food reviews (score; text, a 2-layer 32-wide BERT). Tables: the penguins rows
repeated and perturbed (numbers * (1 + 1 % noise), categories kept) to 1,000,000 rows; the reviews repeated to
20,000 rows; both Parquet. Each measurement runs in a fresh child process (address space capped at 8 GiB):
* baseline: ``load(export).predict_proba`` on the whole table read into memory (it fits here);
* streaming: ``automm-deploy predict`` into Parquet, 10,000-row chunks: rows/s and peak RSS, on a quarter of the
  table and on all of it (bounded memory: the two peaks are close);
* Ray Data: ``ray_data.predict`` with 2 actors on a local Ray (``num_cpus=2``) over 10,000-row blocks of the
  quarter table made in the driver, rows/s from the call to the last row in the driver (Ray's start not counted).
Equality: every streamed row's probabilities against the baseline's (labels equal, largest difference), and the
Ray rows likewise. A full run writes its section into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .fit_cases import load_average, publish

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work" / "batch_predict"
ADDRESS_SPACE = 8 << 30  # the cap on each measured child's address space
RAY_BLOCK = 10_000  # rows per Ray Data block


@dataclass(frozen=True)
class Sizes:
    tabular_rows: int
    text_rows: int


FULL, QUICK = Sizes(1_000_000, 20_000), Sizes(40_000, 2_000)


# ------------------------------------------------------------------------------------------- data and exports
def _fit_and_export(name: str, train: pd.DataFrame, label: str, work: Path) -> Path:
    """A predictor fitted for one epoch with tiny networks, exported to ``work/name.onnx`` (once for every size)."""
    from automm.core import MultiModalPredictor
    from automm.core.testing.tiny_models import make_tiny_text_model, tiny_hyperparameters
    from automm.deploy import export

    target = work / f"{name}.onnx"
    if (target / "manifest.json").is_file():
        return target
    text_model = make_tiny_text_model(work / "tiny_text")
    predictor = MultiModalPredictor(label=label, path=work / f"{name}.predictor",
                                    hyperparameters=tiny_hyperparameters(text_model, **{"optim.max_epochs": 1}))
    predictor.fit(train, seed=0)
    return export(predictor.path, target)


def _tables(sizes: Sizes, work: Path) -> dict[str, tuple[Path, Path, Path]]:
    """name -> (export, full table, quarter table), Parquet, made once per size."""
    from .datasets import fine_foods, penguins

    penguin_train, penguin_test = penguins()
    food_train, food_test = fine_foods()
    exports = {"tabular": _fit_and_export("penguins", penguin_train, "species", WORK / "exports"),
               "text": _fit_and_export("fine_foods", food_train.head(1000), "score", WORK / "exports")}
    sources = {"tabular": pd.concat([penguin_train, penguin_test]).drop(columns="species"),
               "text": pd.concat([food_train, food_test]).drop(columns="score")}
    rows = {"tabular": sizes.tabular_rows, "text": sizes.text_rows}
    out = {}
    for name, source in sources.items():
        full, quarter = work / f"{name}_{rows[name]}.parquet", work / f"{name}_{rows[name] // 4}.parquet"
        if not full.is_file():
            table = _repeated(source.reset_index(drop=True), rows[name])
            table.iloc[: rows[name] // 4].to_parquet(quarter, index=False, row_group_size=50_000)
            table.to_parquet(full, index=False, row_group_size=50_000)
        out[name] = (exports[name], full, quarter)
    return out


def _repeated(source: pd.DataFrame, rows: int) -> pd.DataFrame:
    """``source`` repeated to ``rows`` rows, numeric cells times (1 + N(0, 1 %)), with an "id" column."""
    table = source.iloc[np.arange(rows) % len(source)].reset_index(drop=True)
    rng = np.random.default_rng(0)
    for column in table.select_dtypes("number").columns:
        table[column] = table[column] * (1 + rng.normal(0, 0.01, rows))
    return table.assign(id=np.arange(rows))


# ------------------------------------------------------------------------------------------- measured children
def _child(job: dict[str, Any]) -> dict[str, Any]:
    """Run one measured job in this process; its seconds and (streaming, baseline) peak RSS."""
    if job["kind"] != "ray":
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    start = time.perf_counter()
    if job["kind"] == "stream":
        from automm.deploy.batch import predict_file

        predict_file(job["export"], job["table"], job["output"], proba=True, keep=["id"], progress=False)
    elif job["kind"] == "baseline":
        from automm.deploy import load

        load(job["export"]).predict_proba(pd.read_parquet(job["table"])).to_parquet(job["output"])
    else:
        import ray

        from automm.deploy import ray_data

        # blocks from the driver: on 2 CPUs, 2 one-CPU actors leave none for read_parquet's read tasks
        table = pd.read_parquet(job["table"])
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        start = time.perf_counter()
        dataset = ray.data.from_pandas([table.iloc[i:i + RAY_BLOCK] for i in range(0, len(table), RAY_BLOCK)])
        ray_data.predict(dataset, job["export"], concurrency=2, proba=True, keep=["id"]).to_pandas().to_parquet(
            job["output"])
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_rss_mb": _peak_rss_mb()}


def _peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM: its own, where ru_maxrss may carry its parent's over exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("/proc/self/status has no VmHWM line (Linux only)")


def _measure(kind: str, export: Path, table: Path, output: Path) -> dict[str, Any]:
    job = {"kind": kind, "export": str(export), "table": str(table), "output": str(output)}
    found = subprocess.run([sys.executable, "-m", "benchmarks.batch_predict", "--child", json.dumps(job)],
                           capture_output=True, text=True, cwd=ROOT, check=False)
    if found.returncode != 0:
        raise RuntimeError(f"{kind} on {table.name} failed:\n{found.stderr[-3000:]}")
    result = json.loads(found.stdout.strip().splitlines()[-1])
    return {**result, "rows_per_s": pd.read_parquet(table, columns=["id"]).shape[0] / result["seconds"]}


def _agreement(found: Path, baseline: Path, rows: int | None = None) -> tuple[float, float]:
    """(share of equal labels, largest probability difference) of ``found`` (an id column first) vs the first
    ``rows`` (default: all) of ``baseline``."""
    ours = pd.read_parquet(found).drop(columns="id").to_numpy(dtype=np.float64)
    theirs = pd.read_parquet(baseline).to_numpy(dtype=np.float64)[:rows]
    return float((ours.argmax(1) == theirs.argmax(1)).mean()), float(np.abs(ours - theirs).max())


# ------------------------------------------------------------------------------------------- the run
def run(sizes: Sizes, work: Path) -> list[dict[str, Any]]:
    results = []
    for name, (export, full, quarter) in _tables(sizes, work).items():
        base = _measure("baseline", export, full, work / f"{name}.baseline.parquet")
        rows = len(pd.read_parquet(quarter, columns=["id"]))
        part = _measure("stream", export, quarter, work / f"{name}.quarter.out.parquet")
        whole = _measure("stream", export, full, work / f"{name}.out.parquet")
        ray = _measure("ray", export, quarter, work / f"{name}.ray.parquet")  # a quarter: Ray is the slowest
        ids = pd.read_parquet(work / f"{name}.ray.parquet", columns=["id"])["id"].to_numpy()
        results.append({"table": name, "rows": sizes.tabular_rows if name == "tabular" else sizes.text_rows,
                        "baseline": base, "quarter": part, "whole": whole, "ray": ray,
                        "stream_agreement": _agreement(work / f"{name}.out.parquet", work / f"{name}.baseline.parquet"),
                        "ray_agreement": _agreement(work / f"{name}.ray.parquet", work / f"{name}.baseline.parquet",
                                                    rows),
                        "ray_in_order": bool((ids == np.arange(len(ids))).all())})
        print(json.dumps(results[-1]), flush=True)
    return results


def markdown(results: list[dict[str, Any]], command: str, load: str) -> str:
    lines = ["## Batch prediction over large tables (automm-deploy predict, Ray Data)", "",
             f"`{command}` on {time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} CPU cores (load average "
             f"{load} at start); tiny networks fitted for one epoch (the batch machinery is measured, not the model). "
             "Each row is a fresh process; baseline: in-process `load(export).predict_proba` on the whole table read "
             "into memory. Streaming: `automm-deploy predict EXPORT TABLE.parquet OUT.parquet --proba --keep id` "
             "(10,000-row chunks). Ray Data: `ray_data.predict` with 2 actors on a local Ray (num_cpus=2) over "
             "10,000-row blocks of the first quarter of the table, Ray's start not counted.", "",
             "| table | rows | baseline rows/s | streaming rows/s (÷ baseline) | Ray Data rows/s (÷ baseline) | "
             "peak RSS baseline | peak RSS streaming, ¼ table → whole | labels equal, max prob. diff (stream / Ray) |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        base = r["baseline"]["rows_per_s"]
        sa, ra = r["stream_agreement"], r["ray_agreement"]
        lines.append(f"| {r['table']} | {r['rows']:,} | {base:,.0f} | {r['whole']['rows_per_s']:,.0f} "
                     f"({r['whole']['rows_per_s'] / base:.2f}×) | {r['ray']['rows_per_s']:,.0f} "
                     f"({r['ray']['rows_per_s'] / base:.2f}×) | {r['baseline']['peak_rss_mb']:,.0f} MB | "
                     f"{r['quarter']['peak_rss_mb']:,.0f} → {r['whole']['peak_rss_mb']:,.0f} MB | "
                     f"{sa[0]:.1%}, {sa[1]:.1e} / {ra[0]:.1%}, {ra[1]:.1e}"
                     f"{'' if r['ray_in_order'] else ' (Ray rows out of order)'} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small tables; prints only")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(json.loads(args.child))))
        return
    os.environ.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"})
    sizes = QUICK if args.quick else FULL
    work = WORK / ("quick" if args.quick else "full")
    work.mkdir(parents=True, exist_ok=True)
    load = load_average()
    results = run(sizes, work)
    section = markdown(results, "python -m benchmarks.batch_predict" + (" --quick" if args.quick else ""), load)
    publish({"command": "batch_predict", "quick": args.quick, "load": load, "tables": results}, section, work,
            args.quick)


if __name__ == "__main__":
    main()
