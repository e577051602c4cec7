"""Benchmark automm-deploy: the torch-free runtime against the torch predictor it was exported from.

    python -m benchmarks.deploy             # full run (~20 min on 2 quiet CPU cores); writes BENCHMARKS.md
    python -m benchmarks.deploy --quick     # small data, short fits; prints only
    python -m benchmarks.deploy --sizes     # also build fresh venvs to measure install sizes (minutes more)

Per task, on the benchmark datasets (each case in a fresh process): fit briefly, export (float and int8), then
* agreement: labels equal to the torch predictor's (share) and the largest probability difference;
* score of torch, runtime and int8 runtime on the test rows (accuracy, or RMSE for regression);
* single-row predict latency (median): torch predictor, runtime, bare onnxruntime call on ready inputs (back to
  back, and after the process idled 0.3 ms); the runtime's cost beyond the graph split into a fixed cost per call
  and a cost per row (1 and 4 rows);
* batch throughput (rows/s): torch predictor vs runtime vs int8 runtime, timed in alternation;
* cold start: a new process loading the model and answering one row, runtime vs torch predictor.
Ratios are against baselines measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np
import pandas as pd

from . import fit_cases
from .cases import CASES
from .fit_cases import load_average, publish, run_record, source_digest, timed
from .report import digests

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work" / "deploy"
SECTION = "## Deployment: torch-free runtime vs torch predictor"
TASKS = {"fine_foods": "text", "fashion_mnist": "image", "penguins": "tabular (FT-Transformer)",
         "penguins_mlp": "tabular (MLP)", "mixed_table": "multimodal", "matching": "text matcher"}
# Cases that are another case with other hyperparameters: penguins gets core's tabular default ("auto": the
# FT-Transformer for a table alone), penguins_mlp the MLP.
VARIANTS = {"penguins_mlp": ("penguins", {"model.tabular.model": "mlp"})}


@dataclass(frozen=True)
class Sizes:
    time_limit: float  # seconds of fit per case (the model's size, not its quality, drives latency)
    test_rows: int  # rows compared, and timed in batch (a smaller test set repeated up to this many)
    single_calls: int  # single-row calls timed per method
    cold_starts: int  # fresh processes per method
    batch_repeats: int = 3  # batch timings per method (median)


FULL = Sizes(time_limit=60, test_rows=500, single_calls=50, cold_starts=3, batch_repeats=5)
QUICK = Sizes(time_limit=15, test_rows=40, single_calls=5, cold_starts=1, batch_repeats=2)
OVERHEAD_ROWS = 4  # the second size at which a predict's work beyond the graph is timed (the single-row path: no pool)
IDLE_S = 0.0003  # the machine idles this long before each "bare call after idle" (about a predict's own work)


# ---------------------------------------------------------------------------------------------- one case
def _data(name: str, quick: bool) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """(train, test, predictor arguments) of a case; "matching" pairs halves of the fine-food reviews."""
    if name == "matching":
        from .datasets import fine_foods
        from .matching import review_halves

        train, test = fine_foods()
        train_pairs, test_pairs = review_halves(train["review"]), review_halves(test["review"])
        if quick:
            train_pairs, test_pairs = train_pairs.head(160), test_pairs.head(60)
        return train_pairs, test_pairs, {"problem_type": "text_similarity", "query": "query", "response": "response"}
    base, extra = VARIANTS.get(name, (name, {}))
    case = CASES[base]
    train, test = case.load(quick, WORK / "data")
    return train, test, {"label": case.label, "hyperparameters": {**case.hyperparameters_for(quick), **extra}}


def _median_latency(fn: Any, calls: int) -> float:
    fn()  # warm-up
    return median(timed(fn)[0] for _ in range(calls))


def _batch_rows(rows: pd.DataFrame, count: int) -> pd.DataFrame:
    """``rows`` repeated up to ``count`` rows (a small test table, e.g. penguins' 69 rows), freshly indexed."""
    return pd.concat([rows] * -(-count // len(rows))).head(max(count, len(rows))).reset_index(drop=True)


def _score(problem_type: str, predictions: pd.Series | pd.DataFrame, truth: pd.Series | None) -> float | None:
    if truth is None:
        return None
    if problem_type in ("regression",):
        return float(np.sqrt(np.mean((np.asarray(predictions, float) - np.asarray(truth, float)) ** 2)))
    return float((np.asarray(predictions).astype(str) == np.asarray(truth).astype(str)).mean())


def _runners(model: Any) -> tuple[list[Any], str]:
    """The graph runners a predict of ``model`` calls (a matcher's: both sides') and the output it reads."""
    network = model.network
    if hasattr(network, "runner"):
        return [network.runner], "logits"
    return list(network.runners.values()), "embedding"


def _bare(model: Any, rows: pd.DataFrame, calls: int, idle: float = 0.0) -> float:
    """Median seconds of the graph calls of a predict on ``rows``, from inputs made beforehand; each after ``idle``
    seconds in which the process does nothing (0: back to back)."""
    runners, output = _runners(model)
    ready = [(runner, runner.inputs(rows)) for runner in runners]

    def call(runner: Any, feeds: dict[str, np.ndarray]) -> Any:
        if idle:
            time.sleep(idle)
        started = time.perf_counter()
        runner.run(feeds, output)
        return time.perf_counter() - started

    total = 0.0
    for runner, feeds in ready:
        call(runner, feeds)  # warm-up
        total += median(call(runner, feeds) for _ in range(calls))
    return total


def _beyond(model: Any, rows: pd.DataFrame, calls: int) -> float:
    """Median seconds of a predict on ``rows`` spent outside its graph calls (making the inputs from the rows,
    building the pandas answer), timed inside whole predicts: the same work timed alone runs faster than between
    graph calls (caches)."""
    runners, _ = _runners(model)
    in_graph = [0.0]

    def timing(run: Any) -> Any:
        def run_timed(feeds: dict[str, np.ndarray], output: str) -> np.ndarray:
            start = time.perf_counter()
            try:
                return run(feeds, output)
            finally:
                in_graph[0] += time.perf_counter() - start
        return run_timed

    for runner in runners:
        runner.run = timing(runner.run)
    try:
        model.predict(rows)  # warm-up
        found = []
        for _ in range(calls):
            in_graph[0] = 0.0
            found.append(timed(lambda: model.predict(rows))[0] - in_graph[0])
    finally:
        for runner in runners:
            del runner.run
    return median(found)


def _cold_start(code: str, runs: int) -> float:
    """Median seconds of a fresh interpreter running ``code`` (load a model, predict one row)."""
    env = {**fit_cases.OFFLINE, "PATH": "/usr/bin:/bin", "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    return median(timed(lambda: subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=env))[0]
                  for _ in range(runs))


def case_in_this_process(spec: dict[str, Any], out: str) -> None:
    from automm.core import MultiModalPredictor
    from automm.deploy import export, load

    sizes, name = Sizes(**spec["sizes"]), spec["name"]
    train, test, arguments = _data(name, spec["quick"])
    hyperparameters = arguments.pop("hyperparameters", {})
    folder = Path(tempfile.mkdtemp(prefix=f"deploy-{name}-"))
    try:
        predictor = MultiModalPredictor(path=folder / "predictor", hyperparameters=hyperparameters, **arguments)
        fit_s, _ = timed(lambda: predictor.fit(train, time_limit=sizes.time_limit, seed=0))
        export_s, exported = timed(lambda: export(predictor, folder / "export"))
        int8_folder = export(predictor, folder / "export-int8", quantize="int8")
        model, int8 = load(exported), load(int8_folder)
        truth = test[arguments["label"]] if "label" in arguments else None
        rows = test.drop(columns=[c for c in [arguments.get("label")] if c]).head(sizes.test_rows)
        truth = truth.loc[rows.index] if truth is not None else None
        problem_type = predictor.problem_type
        timings: dict[str, float] = {}
        expected = predictor.predict(rows)
        found, found_int8 = model.predict(rows), int8.predict(rows)
        batch = _batch_rows(rows, sizes.test_rows)
        methods = {"torch": predictor.predict, "runtime": model.predict, "int8": int8.predict}
        for fn in methods.values():
            fn(batch.head(8))  # warm-up
        rounds = [{method: timed(lambda fn=fn: fn(batch))[0] for method, fn in methods.items()}  # interleaved: a
                  for _ in range(sizes.batch_repeats)]  # change in the machine's load falls on every method alike
        for method in methods:
            timings[f"{method}_batch_s"] = median(found[method] for found in rounds)
        result: dict[str, Any] = {"task": TASKS[name], "problem_type": problem_type, "rows": len(rows),
                                  "batch_rows": len(batch), "fit_s": fit_s, "export_s": export_s,
                                  "optimizer": [g.optimizer for g in model.manifest.graphs.values()],
                                  "labels_equal": float((np.asarray(found) == np.asarray(expected)).mean())
                                  if problem_type != "regression" else None,
                                  "scores": {"torch": _score(problem_type, expected, truth),
                                             "runtime": _score(problem_type, found, truth),
                                             "int8": _score(problem_type, found_int8, truth)}}
        if problem_type == "regression":
            result["max_value_difference"] = float(np.abs(np.asarray(found, float) - np.asarray(expected)).max())
            result["int8_max_value_change"] = float(np.abs(np.asarray(found_int8, float) - np.asarray(found)).max())
        else:
            proba, torch_proba = model.predict_proba(rows).to_numpy(), predictor.predict_proba(rows).to_numpy()
            result["max_proba_difference"] = float(np.abs(proba - torch_proba).max())
            result["int8_max_proba_difference"] = float(np.abs(int8.predict_proba(rows).to_numpy() - proba).max())
            result["int8_labels_equal"] = float((np.asarray(found_int8) == np.asarray(found)).mean())
        one, several = rows.iloc[[0]], batch.head(OVERHEAD_ROWS)
        timings["torch_single_s"] = _median_latency(lambda: predictor.predict(one), sizes.single_calls)
        timings["runtime_single_s"] = _median_latency(lambda: model.predict(one), sizes.single_calls)
        timings["int8_single_s"] = _median_latency(lambda: int8.predict(one), sizes.single_calls)
        timings["bare_single_s"] = _bare(model, one, sizes.single_calls)
        timings["bare_idle_single_s"] = _bare(model, one, sizes.single_calls, IDLE_S)
        timings["beyond_single_s"] = _beyond(model, one, sizes.single_calls)
        timings["beyond_several_s"] = _beyond(model, several, sizes.single_calls)
        result["overhead_rows"] = len(several)
        one.to_json(folder / "one.json", orient="split")
        reader = f"import pandas as pd; rows = pd.read_json({str(folder / 'one.json')!r}, orient='split'); "
        timings["runtime_cold_s"] = _cold_start(
            reader + f"from automm.deploy import load; load({str(exported)!r}).predict(rows)", sizes.cold_starts)
        timings["torch_cold_s"] = _cold_start(
            reader + "from automm.core import MultiModalPredictor; "
            f"MultiModalPredictor.load({str(predictor.path)!r}).predict(rows)", sizes.cold_starts)
        result["timings"] = timings
        result["scores"]["headline"] = result["labels_equal"] if result["labels_equal"] is not None else 1.0
        Path(out).write_text(json.dumps({**spec, **result, "wall_s": fit_s}))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------------------------------------- install sizes
def _folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def install_sizes() -> dict[str, int]:
    """Bytes of fresh venvs: the runtime alone, runtime + serve, and torch + automm-core (the training stack)."""
    sizes = {}
    plans = {"runtime": ["./packages/automm-deploy"], "runtime + serve": ["./packages/automm-deploy[serve]"],
             "torch + automm-core": ["torch==2.14.1", "torchvision==0.29.1", "./packages/automm-core"]}
    for label, packages in plans.items():
        with tempfile.TemporaryDirectory(prefix="venv-size-") as scratch:
            venv = Path(scratch) / "venv"
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run([str(venv / "bin" / "pip"), "install", "-q", *packages], check=True, cwd=ROOT)
            sizes[label] = _folder_size(venv)
            print(f"  venv {label}: {sizes[label] / 1e6:.0f} MB", flush=True)
    return sizes


# ---------------------------------------------------------------------------------------------- load test
def load_test() -> dict[str, Any]:
    """The test suite's load test of ``automm-deploy serve`` (50 concurrent clients, 200 requests of 1-3 rows, a
    tiny multimodal export: it measures the server, not a network), run by pytest; its recorded numbers."""
    out = WORK / "loadtest.json"
    out.unlink(missing_ok=True)
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    "packages/automm-deploy/tests/export/test_serve.py::test_load"], check=True, cwd=ROOT,
                   env={**os.environ, **fit_cases.OFFLINE, "AUTOMM_DEPLOY_LOADTEST_OUT": str(out)})
    return json.loads(out.read_text())


# ---------------------------------------------------------------------------------------------- main and report
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small data and short fits; prints only")
    parser.add_argument("--sizes", action="store_true", help="also measure install sizes in fresh venvs")
    parser.add_argument("--only", nargs="*", choices=list(TASKS), help="some cases only")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, Any] = {**run_record("deploy", argv), "sizes": asdict(sizes), "cases": {}}
    for name in args.only or TASKS:
        spec = {"name": name, "sizes": asdict(sizes), "quick": args.quick, "time_limit": sizes.time_limit}
        results["cases"][name] = fit_cases.run_case("deploy", WORK, spec, "headline")
    try:
        results["load_test"] = load_test()
    except subprocess.CalledProcessError as err:
        results["load_test"] = {"error": str(err)}
    if args.sizes:
        results["install_bytes"] = install_sizes()
    results["load_end"] = load_average()
    results["source_digest"].append(source_digest())
    results["wall_s"] = time.perf_counter() - started
    publish(results, render(results), WORK, args.quick or bool(args.only))
    return 1 if any("error" in c for c in results["cases"].values()) else 0


def _ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}x"


def _case_rows(name: str, case: dict[str, Any]) -> tuple[str, str, str]:
    """The case's rows of the quality, batch and single-row tables."""
    if "error" in case:
        return (f"| {name} | failed: {case['error']} | | | | | | |", f"| {name} | | | | |",
                f"| {name} | | | | | | | | |")
    t, s = case["timings"], case["scores"]
    equal = "n/a (values)" if case["labels_equal"] is None else f"{case['labels_equal']:.1%}"
    int8_equal = "n/a (values)" if case.get("int8_labels_equal") is None else f"{case['int8_labels_equal']:.1%}"
    difference = case.get("max_proba_difference", case.get("max_value_difference"))
    int8_change = case.get("int8_max_proba_difference", case.get("int8_max_value_change", float("nan")))
    score = "RMSE" if case["problem_type"] == "regression" else "accuracy"
    scores = "—" if s["torch"] is None else f"{score} {s['torch']:.3f} / {s['runtime']:.3f} / {s['int8']:.3f}"
    quality = (f"| {case['task']} ({case['problem_type']}, {case['rows']} rows) | {equal} | {difference:.1e} | "
               f"{scores} | {int8_equal} | {int8_change:.3f} | {', '.join(case.get('optimizer', []))} | "
               f"{case['export_s']:.1f} |")
    rates = {m: case["batch_rows"] / t[f"{m}_batch_s"] for m in ("torch", "runtime", "int8")}
    batch = (f"| {case['task']} | {case['batch_rows']} | {rates['torch']:.0f} / {rates['runtime']:.0f} / "
             f"{rates['int8']:.0f} | **{_ratio(rates['runtime'], rates['torch'])}** | "
             f"{_ratio(rates['int8'], rates['torch'])} |")
    fixed, per_row = overhead(t, case["overhead_rows"])
    idle = t.get("bare_idle_single_s", float("nan"))
    single = (f"| {case['task']} | {t['torch_single_s'] * 1e3:.2f} / {t['runtime_single_s'] * 1e3:.2f} / "
              f"{t['int8_single_s'] * 1e3:.2f} | {t['bare_single_s'] * 1e3:.3f} / {idle * 1e3:.3f} | "
              f"{_ratio(t['runtime_single_s'], t['torch_single_s'])} | "
              f"{_ratio(t['runtime_single_s'], t['bare_single_s'])} | {fixed * 1e3:.3f} | {per_row * 1e6:.0f} | "
              f"**{_ratio(t['runtime_single_s'] - fixed, t['bare_single_s'])}** / "
              f"{_ratio(t['runtime_single_s'] - fixed, idle)} | {t['torch_cold_s']:.1f} / {t['runtime_cold_s']:.1f} |")
    return quality, batch, single


def overhead(timings: dict[str, float], rows: int) -> tuple[float, float]:
    """(fixed seconds per call, seconds per row) of a predict's work beyond the graph (``_bare_and_beyond``),
    measured at 1 row and at ``rows`` rows, as a line through both."""
    one, several = timings["beyond_single_s"], timings["beyond_several_s"]
    per_row = (several - one) / (rows - 1)
    return one - per_row, per_row


def render(results: dict[str, Any]) -> str:
    sizes = results["sizes"]
    rows = [_case_rows(name, case) for name, case in results["cases"].items()]
    lines = [SECTION, "",
             f"`{results['command']}` on {results['date']} (whole run {results['wall_s'] / 60:.0f} min; load average "
             f"{results['load_start']} at start, {results['load_end']} at end; 2 CPU cores, no GPU). Library source "
             f"digest: {digests(results['source_digest'])}. Each case: the benchmark dataset, a "
             f"{sizes['time_limit']:.0f} s fit, export, then up to {sizes['test_rows']} test rows; in a fresh "
             "process.", "",
             "**Agreement and score** (torch predictor / runtime / int8 runtime; int8 compared with the fp32 "
             "runtime):", "",
             "| Task | Labels equal to torch | Max prob. (value) difference | Score torch / runtime / int8 | "
             "int8 labels equal to fp32 | int8 max prob. (value) change | Graph optimizer | Export s |",
             "|---|---|---|---|---|---|---|---|", *(q for q, _, _ in rows), "",
             f"**Batch** (the test rows, repeated up to {sizes['test_rows']} rows for a small table, in one call; "
             f"median of {sizes.get('batch_repeats', 1)} rounds after a warm-up, torch, runtime and int8 in turn in "
             "each round):", "",
             "| Task | Rows | Rows/s: torch / runtime / int8 | runtime ÷ torch | int8 ÷ torch |",
             "|---|---|---|---|---|",
             *(b for _, b, _ in rows), "",
             f"**Single row** (median of {sizes['single_calls']} calls after a warm-up; cold start: a new process "
             f"loads the model and answers one row, median of {sizes['cold_starts']}). The bare onnxruntime call "
             "starts from inputs made beforehand, back to back, and again after the process idled "
             f"{IDLE_S * 1e3:g} ms before each call (no other work; a predict's graph call follows its own work, "
             "and a server's follows a wait for the request). Beyond it, a predict makes those inputs from the rows "
             "and builds the pandas answer from the graph's outputs: a fixed cost per call (reading the columns out of "
             "pandas, each column's numpy work, the answer's Series) and a cost per row (decoding an image, "
             f"tokenising a text), both from that work timed at 1 row and at {OVERHEAD_ROWS} rows (a line through "
             "both):", "",
             "| Task | ms: torch / runtime / int8 | ms: bare ORT back to back / after idle | runtime ÷ torch | "
             "runtime ÷ bare ORT | fixed ms per call | µs per row | (runtime − fixed) ÷ bare ORT: back to back / "
             "after idle | Cold start s: torch / runtime |",
             "|---|---|---|---|---|---|---|---|---|", *(s for _, _, s in rows), "",
             "Where the graph itself takes microseconds (the tabular MLP), the fixed cost is most of a single-row "
             "predict."]
    load = results.get("load_test", {})
    if "p50_ms" in load:
        lines += ["", f"**Load test** (`automm-deploy serve`, LitServe, {load['workers']} worker(s), max batch "
                  f"{load['max_batch_size']}, batch timeout {load['batch_timeout_s']} s; {load['clients']} concurrent "
                  f"clients on the same 2 cores, {load['requests']} requests of 1-3 rows ({load['rows']} rows), the "
                  "test suite's tiny multimodal export, so this measures the server): every answer 200 and equal to "
                  f"the in-process runtime's; p50 {load['p50_ms']:.0f} ms, p99 {load['p99_ms']:.0f} ms, "
                  f"{load['requests_per_s']:.0f} requests/s."]
    elif load:
        lines += ["", f"**Load test** failed: {load['error']}"]
    if "install_bytes" in results:
        sized = results["install_bytes"]
        base = sized["torch + automm-core"]
        lines += ["", "**Install size** (fresh venvs, all files): " + ", ".join(
            f"{label} {size / 1e6:.0f} MB ({_ratio(size, base)} of torch + automm-core)" for label, size in
            sized.items()) + "."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
