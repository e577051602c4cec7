"""Benchmark ``automm-deploy serve`` under load: 50 concurrent clients, text, image and tabular exports.

    python -m benchmarks.serving            # 300 requests per setting and task (~15 min on 2 CPU cores)
    python -m benchmarks.serving --quick    # 100 requests, two settings; prints only

Per task (fine-food reviews: text; Fashion-MNIST: image; penguins: tabular), a short fit is exported once (in a
fresh process; the export is what is measured, not its quality). Then, for each batching setting (max batch size,
batch timeout, workers), ``automm-deploy serve`` runs in a subprocess and an aiohttp load generator keeps
``--clients`` requests of 1-3 rows in flight until ``--requests`` are answered (after one warm-up round). Every
answer must be 200 and equal to the in-process runtime's (labels equal, probabilities within 1e-5). Reported: p50 /
p99 latency, requests/s and rows/s, and their ratios to the baseline setting (the defaults before issue 21: max
batch 32, timeout 0.01 s, 1 worker), which runs first and again last to show the run's noise. The load generator
shares the machine's CPUs with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np

from .fit_cases import OFFLINE, ROOT, finish, load_average, run_record

WORK = ROOT / "benchmarks" / ".work" / "serving"
SECTION = "## Serving under load: batching settings of automm-deploy serve"
TASKS = {"fine_foods": "text", "fashion_mnist": "image", "penguins": "tabular"}
PROBABILITY_TOLERANCE = 1e-5


@dataclass(frozen=True)
class Setting:
    max_batch_size: int
    batch_timeout: float
    workers: int

    def options(self) -> list[str]:
        return ["--max-batch-size", str(self.max_batch_size), "--batch-timeout", str(self.batch_timeout),
                "--workers", str(self.workers)]

    @classmethod
    def parse(cls, text: str) -> Setting:
        """A setting from its command-line form, "max batch size:batch timeout s:workers" (e.g. "64:0.01:2")."""
        size, timeout, workers = text.split(":")
        return cls(int(size), float(timeout), int(workers))

    def label(self) -> str:
        return f"batch {self.max_batch_size}, timeout {self.batch_timeout * 1000:g} ms, {self.workers} worker(s)"


BASELINE = Setting(32, 0.01, 1)
SETTINGS = [BASELINE, Setting(1, 0.0, 1), Setting(8, 0.01, 1), Setting(64, 0.01, 1), Setting(32, 0.002, 1),
            Setting(32, 0.05, 1), Setting(32, 0.01, 2), BASELINE]
QUICK_SETTINGS = [BASELINE, Setting(32, 0.01, 2)]


# ---------------------------------------------------------------------------------------------- exports
def prepare_in_this_process(name: str, quick: bool) -> None:
    """Fit ``name`` briefly, export it to WORK/name/export, and write the test rows as request rows with the
    in-process runtime's answers to WORK/name/rows.json."""
    from automm.core import MultiModalPredictor
    from automm.deploy import export, load
    from automm.deploy.testing import request_rows

    from .cases import CASES

    case, folder = CASES[name], WORK / name
    train, test = case.load(True, WORK / "data")
    predictor = MultiModalPredictor(label=case.label, path=folder / "predictor",
                                    hyperparameters=case.hyperparameters_for(True))
    predictor.fit(train, time_limit=10 if quick else 20, seed=0)
    model = load(export(predictor, folder / "export"))
    rows = test[model.columns].reset_index(drop=True)
    images = [c for c, kind in model.manifest.columns.items() if c in model.columns and kind.startswith("image")]
    proba = model.predict_proba(rows)
    answers = {"rows": request_rows(rows, images), "predictions": model.predict(rows).tolist(),
               "probabilities": proba.to_numpy().tolist(), "classes": [str(c) for c in proba.columns]}
    (folder / "rows.json").write_text(json.dumps(answers))


def prepare(name: str, quick: bool) -> Path:
    """WORK/name, with its export and rows made in a fresh process unless an earlier run left them."""
    folder = WORK / name
    if not (folder / "rows.json").is_file():
        print(f"{name}: fit and export ...", flush=True)
        code = f"from benchmarks.serving import prepare_in_this_process as f; f({name!r}, {quick})"
        with (WORK / f"{name}.log").open("w") as log:
            subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                           env={**OFFLINE, **os.environ})
    return folder


# ---------------------------------------------------------------------------------------------- load
def plans(requests: int, rows: int) -> list[tuple[int, int]]:
    """(first row, row count) of each request: 1-3 rows, spread over the test rows."""
    return [((7 * i) % (rows - 2), 1 + i % 3) for i in range(requests)]


async def _drive(port: int, bodies: list[bytes], clients: int) -> tuple[list[tuple[int, Any, float]], float]:
    """Answers (status, JSON, seconds) of ``bodies`` sent by ``clients`` concurrent clients, and the wall time."""
    import aiohttp

    results: list[Any] = [None] * len(bodies)
    queue = iter(range(len(bodies)))
    url = f"http://127.0.0.1:{port}/predict"
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients), timeout=timeout) as session:

        async def client() -> None:
            for i in queue:  # one event loop: the shared iterator hands each request to one client
                started = time.perf_counter()
                async with session.post(url, data=bodies[i], headers={"Content-Type": "application/json"}) as answer:
                    found = await answer.json(content_type=None)
                    results[i] = (answer.status, found, time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
    return results, time.perf_counter() - started


def check(answers: dict[str, Any], plan: tuple[int, int], status: int, found: Any) -> float:
    """The largest probability difference of one answer from the runtime's; AssertionError when it is not 200,
    its labels differ, or a probability differs by more than PROBABILITY_TOLERANCE."""
    start, size = plan
    assert status == 200, (status, found)
    assert found["predictions"] == answers["predictions"][start : start + size], (plan, found)
    if "probabilities" not in found:
        return 0.0
    assert found["classes"] == answers["classes"]
    difference = float(np.abs(np.asarray(found["probabilities"]) -
                              np.asarray(answers["probabilities"][start : start + size])).max())
    assert difference <= PROBABILITY_TOLERANCE, (plan, difference)
    return difference


def measure(folder: Path, setting: Setting, requests: int, clients: int) -> dict[str, Any]:
    """One server of ``folder`` with ``setting`` under load: latency, throughput, and the answers checked."""
    from automm.deploy.testing import body_of, serving

    answers = json.loads((folder / "rows.json").read_text())
    rows, planned = answers["rows"], plans(requests, len(answers["rows"]))
    bodies = [body_of(rows[start : start + size]) for start, size in planned]
    with serving(folder / "export", *setting.options()) as port:
        asyncio.run(_drive(port, bodies[:clients], clients))  # warm-up: first calls, connections, threads
        results, elapsed = asyncio.run(_drive(port, bodies, clients))
    worst = max(check(answers, plan, status, found) for plan, (status, found, _) in zip(planned, results))
    latencies_ms = np.array([seconds for _, _, seconds in results]) * 1000
    total_rows = sum(size for _, size in planned)
    return {"setting": asdict(setting), "requests": requests, "rows": total_rows,
            "p50_ms": float(np.percentile(latencies_ms, 50)), "p99_ms": float(np.percentile(latencies_ms, 99)),
            "requests_per_s": requests / elapsed, "rows_per_s": total_rows / elapsed,
            "max_probability_difference": worst}


# ---------------------------------------------------------------------------------------------- main and report
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100 requests, two settings; prints only")
    parser.add_argument("--requests", type=int, help="requests per setting and task (default 300; 100 with --quick)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default: %(default)s)")
    parser.add_argument("--only", nargs="*", choices=list(TASKS), help="some tasks only")
    parser.add_argument("--settings", nargs="*", type=Setting.parse, metavar="BATCH:TIMEOUT:WORKERS",
                        help="these settings only, the first the baseline (default: the sweep in SETTINGS)")
    parser.add_argument("--repeats", type=int, default=1, help="rounds over the settings (default: %(default)s)")
    args = parser.parse_args(argv)
    requests = args.requests or (100 if args.quick else 300)
    settings = (args.settings or (QUICK_SETTINGS if args.quick else SETTINGS)) * args.repeats
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, Any] = {**run_record("serving", argv), "clients": args.clients, "tasks": {}}
    failed = False
    for name in args.only or TASKS:
        folder = prepare(name, args.quick)
        runs = results["tasks"][name] = []
        for setting in settings:
            print(f"{name}: {setting.label()} (load average {load_average()})", flush=True)
            try:
                runs.append(measure(folder, setting, requests, args.clients))
            except (AssertionError, RuntimeError) as err:
                failed = True
                runs.append({"setting": asdict(setting), "error": " ".join(str(err).split())[:300]})
            print(f"  {json.dumps(runs[-1])}", flush=True)
    finish(results, started, render, WORK, args.quick or bool(args.only or args.settings))
    return 1 if failed else 0


def _row(run: dict[str, Any], baseline: dict[str, Any]) -> str:
    setting = Setting(**run["setting"])
    if "error" in run:
        return f"| {setting.label()} | failed: {run['error']} | | | | |"
    return (f"| {setting.label()} | {run['p50_ms']:.0f} / {run['p99_ms']:.0f} | {run['requests_per_s']:.1f} | "
            f"{run['rows_per_s']:.1f} | {run['requests_per_s'] / baseline['requests_per_s']:.2f}x / "
            f"{run['p99_ms'] / baseline['p99_ms']:.2f}x | {run['max_probability_difference']:.0e} |")


def render(results: dict[str, Any]) -> str:
    lines = [SECTION, "",
             f"`{results['command']}` on {results['date']} (whole run {results['wall_s'] / 60:.0f} min; load average "
             f"{results['load_start']} at start, {results['load_end']} at end; 2 CPU cores shared by the server and "
             f"the aiohttp load generator, no GPU). {results['clients']} concurrent clients keep requests of 1-3 "
             "rows in flight; every answer was 200 with the in-process runtime's labels and probabilities (within "
             f"{PROBABILITY_TOLERANCE:g}). Exports of short fits (fine-food reviews: text; Fashion-MNIST at 64 px: "
             "image; penguins: tabular). The baseline (the first setting) runs first and again later: its rows show "
             "the run's noise, and ratios are to the median of its runs.", ""]
    for name, runs in results["tasks"].items():
        if "error" in runs[0]:
            lines += [f"**{TASKS[name]}**: the baseline failed: {runs[0]['error']}", ""]
            continue
        repeated = [run for run in runs if run["setting"] == runs[0]["setting"] and "error" not in run]
        baseline = {**runs[0], **{key: median(run[key] for run in repeated) for key in ("requests_per_s", "p99_ms")}}
        lines += [f"**{TASKS[name]}** ({baseline['requests']} requests, {baseline['rows']} rows per setting):", "",
                  "| Setting | p50 / p99 ms | requests/s | rows/s | requests/s, p99 ÷ baseline | max prob. diff. |",
                  "|---|---|---|---|---|---|", *(_row(run, baseline) for run in runs), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
