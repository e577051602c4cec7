"""Ensemble over variants (``use_ensemble=True``) vs the plain default fit, at the same total ``time_limit``.

    python -m benchmarks.ensemble            # 2 real tables x 2 configurations; writes its BENCHMARKS.md section
    python -m benchmarks.ensemble --quick    # smaller tables and limits; prints only

Tables: ``mixed_table`` (Fashion-MNIST image + fine-food review + numeric column; the label needs image and text)
and R modeldata's ``credit_data`` (numeric + categorical). Each configuration fits once, seed 0, in its own fresh
process; the test score, the whole ``fit`` call, ``evaluate`` on the test rows (batch predict) and single-row
``predict`` latency are measured, with ratios against the default fit of the same run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from . import fit_cases
from .fit_cases import run_record, timed

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work" / "ensemble"
SECTION = "## Ensemble over variants"
CONFIGURATIONS = {"default": False, "use_ensemble=True": True}
# table -> (time_limit, rows of mixed_table as (train, test), hyperparameters); quick runs use the second entry
TABLES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "mixed_table": ({"time_limit": 150.0, "rows": [500, 200], "hyperparameters": {"model.image.image_size": 64}},
                    {"time_limit": 40.0, "rows": [160, 60], "hyperparameters": {"model.image.image_size": 64}}),
    "credit_data": ({"time_limit": 120.0, "hyperparameters": {}}, {"time_limit": 20.0, "hyperparameters": {}}),
}
HEADLINE = {"binary": "roc_auc", "multiclass": "accuracy", "regression": "r2"}
SINGLE_ROW_CALLS = 10


def _table(spec: dict[str, Any]) -> tuple[Any, Any, str, str | None]:
    from . import datasets

    if spec["table"] == "mixed_table":
        train, test = datasets.mixed_table(*spec["rows"], image_dir=WORK / "fashion-mnist")
        return train, test, "label", "multiclass"
    return datasets.modeldata_table(spec["table"])


def case_in_this_process(spec: dict[str, Any], out: str) -> None:
    """Fit one configuration on one table; write its scores, timings and ensemble report to ``out`` (JSON)."""
    import tempfile

    from automm.core import MultiModalPredictor

    started = time.perf_counter()
    train, test, label, problem_type = _table(spec)
    headline = HEADLINE[problem_type]
    with tempfile.TemporaryDirectory() as folder:
        predictor = MultiModalPredictor(label=label, problem_type=problem_type, path=Path(folder) / "predictor",
                                        hyperparameters=spec["hyperparameters"], use_ensemble=spec["use_ensemble"],
                                        verbosity=1)
        fit_s, _ = timed(lambda: predictor.fit(train, time_limit=spec["time_limit"], seed=0))
        evaluate_s, scores = timed(lambda: predictor.evaluate(test, metrics=[headline]))
        predictor.predict(test.iloc[:1])  # warm-up
        single = [timed(lambda i=i: predictor.predict(test.iloc[i : i + 1]))[0] for i in range(SINGLE_ROW_CALLS)]
        summary = predictor.fit_summary
    Path(out).write_text(json.dumps({
        **spec, "scores": {"headline": scores[headline]}, "metric": headline, "fit_s": fit_s,
        "evaluate_s": evaluate_s, "single_row_s": statistics.median(single), "train_rows": len(train),
        "test_rows": len(test), "problem_type": problem_type, "steps": summary.get("steps"),
        "val_score": summary.get("best_val_score"),
        "stopped_by": summary.get("stopped_by"), "ensemble": summary.get("ensemble"),
        "wall_s": time.perf_counter() - started}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller tables and limits; prints only")
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, Any] = {**run_record("ensemble", argv), "tables": {}}
    for table, settings in TABLES.items():
        setting = settings[1] if args.quick else settings[0]
        results["tables"][table] = {
            name: fit_cases.run_case("ensemble", WORK, {"name": f"{table}-{'ensemble' if enabled else 'default'}",
                                                        "table": table, "use_ensemble": enabled, **setting},
                                     "headline")
            for name, enabled in CONFIGURATIONS.items()}
    fit_cases.finish(results, started, render, WORK, args.quick)
    return 1 if any("error" in run for runs in results["tables"].values() for run in runs.values()) else 0


# ---------------------------------------------------------------------------------------------- report
def _members(run: dict[str, Any]) -> str:
    report = run.get("ensemble")
    if not report:
        return f"one network (val {run['val_score']:.3f})"
    parts = [f"{m['variant']} **{m['weight']:.2f}** (val {m['val_score']:.3f}, {m['seconds']:.0f} s)"
             for m in report["members"]]
    skipped = f"; skipped for time: {', '.join(report['skipped'])}" if report.get("skipped") else ""
    return "; ".join(parts) + f"; ensemble val {report['val_score']:.3f}" + skipped


def _row(name: str, run: dict[str, Any], base: dict[str, Any]) -> str:
    from .report import ratio, seconds

    if "error" in run:
        return f"| {name} | failed: {run['error']} | | | | | |"
    ok = "error" not in base
    score = run["scores"]["headline"]
    versus = f" ({score - base['scores']['headline']:+.4f})" if ok and run is not base else ""
    timing = [(run["fit_s"], "fit_s"), (run["evaluate_s"], "evaluate_s"), (run["single_row_s"], "single_row_s")]
    cells = [f"{seconds(value)}" + (f" ({ratio(value, base[key])})" if ok and run is not base else "")
             for value, key in timing]
    return (f"| {name} | **{score:.4f}**{versus} | {cells[0]} (limit {run['time_limit']:.0f} s, {run['steps']} "
            f"steps, stopped by {run['stopped_by']}) | {cells[1]} | {cells[2]} | {_members(run)} |")


def render(results: dict[str, Any]) -> str:
    from .report import digests

    lines = [SECTION, "",
             f"`{results['command']}` on {results['date']} (whole run {results['wall_s'] / 60:.0f} min; load average "
             f"{results['load_start']} at start, {results['load_end']} at end; 2 CPU cores shared with other jobs, "
             f"no GPU). Library source digest: {digests(results['source_digest'])}.", "",
             "`MultiModalPredictor(use_ensemble=True)` (what `presets=\"best_quality\"` turns on) against the plain "
             "default fit of the same run, at the **same total `time_limit`**, seed 0, one fresh process each. The "
             "ensemble trains each applicable variant of `automm.core.ensemble.variants.VARIANTS` in an equal share "
             "of the time left, then weights them by greedy selection (Caruana et al. 2004, 25 rounds) on the "
             "validation rows. Small tables and limits to fit this machine's budget: the scores show the trade at a "
             "tight budget, not either configuration's best. Ratios in brackets are against the default row; "
             "evaluate = batch predict of the test rows; single-row = median `predict` of one row over "
             f"{SINGLE_ROW_CALLS} calls. Members: variant, **weight**, its own validation score and training time. "
             "\"ensemble val\" is optimistic: the weights are chosen on the validation rows the members also "
             "early-stop on, and with few validation rows and barely trained members (one or two steps each at the "
             "mixed table's budget here) the selection can fit noise; the test score is the honest comparison.", ""]
    for table, runs in results["tables"].items():
        base = runs["default"]
        first = next((run for run in runs.values() if "error" not in run), {})
        lines += [f"### {table} ({first.get('problem_type', '?')}, {first.get('train_rows', '?')} train / "
                  f"{first.get('test_rows', '?')} test rows; test {first.get('metric', '?')})", "",
                  "| Configuration | Test score (vs default) | Fit | Evaluate | Single-row predict | Members |",
                  "|---|---|---|---|---|---|"]
        lines += [_row(name, run, base) for name, run in runs.items()]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
