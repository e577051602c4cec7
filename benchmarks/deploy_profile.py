"""Where a batch predict of the tabular FT-Transformer spends its time, in the torch predictor and in the runtime.

    python -m benchmarks.deploy_profile           # penguins, a 60 s fit, 500 rows (~3 min); writes BENCHMARKS.md
    python -m benchmarks.deploy_profile --quick   # a 15 s fit, 100 rows; prints only

The deployment benchmark's FT-Transformer case (penguins, core's tabular default, fit with the same seed and time
limit), exported, then in one process:
* whole predicts on the same rows, torch predictor / runtime / the runtime's bare graph calls, timed in turn;
* each engine's time per operator (torch's profiler, onnxruntime's profiler) on one predict;
* the graph's matrix products: their floating-point operations (from the shapes onnxruntime's profiler records)
  over their time, beside the time of torch's;
* what runtime ÷ torch could reach if every operator other than the matrix products and the attention cost nothing.
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np

from .deploy import _batch_rows, _data
from .fit_cases import ROOT, finish, run_record
from .report import digests

WORK = ROOT / "benchmarks" / ".work" / "deploy_profile"
SECTION = "## Deployment profile: the FT-Transformer in batch"
ROUNDS = 7  # interleaved timing rounds of each method
TOP = 6  # operators listed per engine
TORCH_PRODUCTS = ("aten::mm", "aten::addmm", "aten::_addmm_activation")  # the linear layers' matrix products


def _timed_rounds(methods: dict[str, Any], rounds: int) -> dict[str, float]:
    """Median ms of each method, the methods run in turn in each round (a change in load falls on all alike)."""
    for method in methods.values():
        method()  # warm-up
    found = collections.defaultdict(list)
    for _ in range(rounds):
        for name, method in methods.items():
            started = time.perf_counter()
            method()
            found[name].append((time.perf_counter() - started) * 1000)
    return {name: median(times) for name, times in found.items()}


def _torch_operators(predict: Any) -> dict[str, float]:
    """ms of self time per torch operator in one ``predict()``."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        predict()
    return {event.key: event.self_cpu_time_total / 1000 for event in profiler.key_averages()}


def _graph_operators(folder: Path, graph: Any, feeds: dict[str, np.ndarray], runs: int,
                     ) -> tuple[dict[str, float], float]:
    """(ms per onnxruntime operator type per run, matrix-product GFLOP per run) of the export's ``graph`` (its
    manifest entry) on ``feeds``, with the session options the runtime gives it."""
    import onnxruntime as ort

    from automm.deploy.runtime import session_options

    options = session_options(graph=graph)
    options.enable_profiling = True
    options.profile_file_prefix = str(WORK / "ort-profile")
    session = ort.InferenceSession(str(folder / graph.file), options, providers=["CPUExecutionProvider"])
    session.run(["logits"], feeds)  # warm-up, in the profile too: dropped below by counting runs
    for _ in range(runs):
        session.run(["logits"], feeds)
    profile = Path(session.end_profiling())
    events = json.loads(profile.read_text())
    profile.unlink()
    kernels = [e for e in events if e.get("cat") == "Node" and e["name"].endswith("_kernel_time")]
    per_type: dict[str, float] = collections.Counter()
    flop = 0.0
    for event in kernels:
        per_type[event["args"]["op_name"]] += event["dur"] / 1000 / (runs + 1)
        if event["args"]["op_name"] in ("MatMul", "Gemm"):
            (left,) = event["args"]["input_type_shape"][0].values()  # the weights are packed: not listed
            (out,) = event["args"]["output_type_shape"][0].values()
            flop += 2 * float(np.prod(out)) * left[-1] / (runs + 1)
    return dict(per_type), flop / 1e9


def profile_case(quick: bool) -> dict[str, Any]:
    from automm.core import MultiModalPredictor
    from automm.deploy import export, load

    train, test, arguments = _data("penguins", quick)
    hyperparameters = arguments.pop("hyperparameters", {})
    folder = Path(tempfile.mkdtemp(prefix="deploy-profile-"))
    try:
        predictor = MultiModalPredictor(path=folder / "predictor", hyperparameters=hyperparameters, **arguments)
        predictor.fit(train, time_limit=15 if quick else 60, seed=0)
        model = load(export(predictor, folder / "export"))
        rows = _batch_rows(test.drop(columns=[arguments["label"]]), 100 if quick else 500)
        runner = model.network.runner
        feeds = runner.inputs(rows)
        times = _timed_rounds({"torch": lambda: predictor.predict(rows), "runtime": lambda: model.predict(rows),
                               "graph": lambda: runner.run(feeds, "logits")}, ROUNDS)
        graph_ops, gflop = _graph_operators(model.folder, model.manifest.graphs["model"], feeds, 3)
        tokens = 1 + len(model.manifest.processors["numerical"]["columns"]) + len(
            model.manifest.processors["categorical"]["columns"])
        members = len(getattr(predictor.state.network_spec, "members", [None]))
        return {"rows": len(rows), "members": members, "tokens": tokens, "times_ms": times,
                "torch_ops_ms": _torch_operators(lambda: predictor.predict(rows)), "graph_ops_ms": graph_ops,
                "graph_gflop": gflop}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a short fit and 100 rows; prints only")
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, Any] = {**run_record("deploy_profile", argv), "case": profile_case(args.quick)}
    finish(results, started, render, WORK, args.quick)
    return 0


def _top(operators: dict[str, float], total: float) -> str:
    ranked = sorted(operators.items(), key=lambda item: -item[1])[:TOP]
    return ", ".join(f"{name} {ms:.1f} ms ({ms / total:.0%})" for name, ms in ranked)


def render(results: dict[str, Any]) -> str:
    case = results["case"]
    times, graph_ops, torch_ops = case["times_ms"], case["graph_ops_ms"], case["torch_ops_ms"]
    graph_total, torch_total = sum(graph_ops.values()), sum(torch_ops.values())
    unprofiled = times["graph"] / graph_total  # profiling slows each operator: their shares of the timed graph
    products = (graph_ops.get("MatMul", 0.0) + graph_ops.get("Gemm", 0.0)) * unprofiled
    attention = graph_ops.get("MultiHeadAttention", 0.0) * unprofiled
    beyond_graph = times["runtime"] - times["graph"]
    torch_products = sum(torch_ops.get(name, 0.0) for name in TORCH_PRODUCTS)
    ceiling = times["torch"] / (products + attention + beyond_graph)
    return "\n".join([
        SECTION, "",
        f"`{results['command']}` on {results['date']} (whole run {results['wall_s']:.0f} s; load average "
        f"{results['load_start']} at start, {results['load_end']} at end; 2 CPU cores, no GPU). Library source "
        f"digest: {digests(results['source_digest'])}. The deployment benchmark's FT-Transformer case (penguins, "
        f"core's tabular default, the same fit), {case['rows']} rows in one call: an ensemble of {case['members']} "
        f"network(s), {case['tokens']} tokens per row.", "",
        "| | ms per predict of all rows |", "|---|---|",
        f"| torch predictor | {times['torch']:.1f} |",
        f"| runtime | {times['runtime']:.1f} (**{times['torch'] / times['runtime']:.2f}x** torch's speed) |",
        f"| its bare graph calls | {times['graph']:.1f} |", "",
        f"- torch's operators ({torch_total:.0f} ms of self time): {_top(torch_ops, torch_total)}.",
        f"- the graph's operators in onnxruntime ({graph_total:.0f} ms per run under its profiler): "
        f"{_top(graph_ops, graph_total)}.",
        f"- the graph's matrix products: {case['graph_gflop']:.1f} GFLOP in {products:.0f} ms (their share of the "
        f"bare graph calls' time), {case['graph_gflop'] / products * 1000:.0f} GFLOP/s; torch's "
        f"({', '.join(TORCH_PRODUCTS)}) take {torch_products:.0f} ms.",
        f"- if every operator but the matrix products and the attention took no time, the runtime would answer "
        f"in {products + attention + beyond_graph:.0f} ms: at most **{ceiling:.2f}x** torch's speed.", ""])


if __name__ == "__main__":
    sys.exit(main())
