"""Hyperparameter optimisation vs the plain default fit, at the same total time_limit, on a real table.

    python -m benchmarks.hpo            # credit_data, 180 s per configuration; writes its BENCHMARKS.md section
    python -m benchmarks.hpo --quick    # 60 s per configuration; prints only

The searches use the ``medium_quality_hpo`` preset's search space and ASHA scheduler with 6 trials, once with the
random searcher and once with "bayes" (Optuna's TPE); their ``time_limit`` covers the whole search and the final
save, like the default fit's. Each configuration runs in its own fresh process (the search starts its own local Ray).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from statistics import median
from typing import Any

from . import fit_cases
from .fit_cases import run_record, timed

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work" / "hpo"
SECTION = "## Hyperparameter optimisation"
TABLE = "credit_data"
NUM_TRIALS = 6
CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "default fit (baseline)": {},
    "HPO random + ASHA": {"presets": "medium_quality_hpo",
                          "tune": {"num_trials": NUM_TRIALS, "searcher": "random", "scheduler": "ASHA"}},
    "HPO bayes + ASHA": {"presets": "medium_quality_hpo",
                         "tune": {"num_trials": NUM_TRIALS, "searcher": "bayes", "scheduler": "ASHA"}},
}


def case_in_this_process(spec: dict[str, Any], out: str) -> None:
    """Fit one configuration; write its test score, fit time, predict latency and trials to ``out`` (JSON)."""
    import json
    import tempfile

    from automm.core import MultiModalPredictor

    from .datasets import modeldata_table

    started = time.perf_counter()
    train, test, label, problem_type = modeldata_table(spec["table"])
    with tempfile.TemporaryDirectory() as folder:
        predictor = MultiModalPredictor(label=label, problem_type=problem_type, path=Path(folder) / "predictor",
                                        presets=spec.get("presets"), verbosity=1)
        fit_s, _ = timed(lambda: predictor.fit(train, time_limit=spec["time_limit"], seed=0,
                                               hyperparameter_tune_kwargs=spec.get("tune")))
        score = predictor.evaluate(test, metrics=["roc_auc"])["roc_auc"]
        predict_s = median(timed(lambda: predictor.predict(test))[0] for _ in range(3))
        summary = predictor.fit_summary
    search = summary.get("hpo", {})
    Path(out).write_text(json.dumps({
        **spec, "scores": {"roc_auc": score}, "fit_s": fit_s, "predict_s": predict_s, "test_rows": len(test),
        "train_rows": len(train), "trials": search.get("trials", []), "best_config": search.get("best_config"),
        "wall_s": time.perf_counter() - started}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="60 s per configuration; prints only")
    args = parser.parse_args(argv)
    time_limit = 60.0 if args.quick else 180.0
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, Any] = {**run_record("hpo", argv), "time_limit": time_limit, "cases": {}}
    for number, (name, settings) in enumerate(CONFIGURATIONS.items()):
        spec = {"name": f"{TABLE}-{number}", "table": TABLE, "time_limit": time_limit, **settings}
        results["cases"][name] = fit_cases.run_case("hpo", WORK, spec, "roc_auc")
    fit_cases.finish(results, started, render, WORK, args.quick)
    return 1 if any("error" in case for case in results["cases"].values()) else 0


def render(results: dict[str, Any]) -> str:
    from .report import digests, ratio, seconds

    cases = results["cases"]
    base = cases["default fit (baseline)"]
    lines = [SECTION, "",
             f"`{results['command']}` on {results['date']} (whole run {results['wall_s'] / 60:.0f} min; load average "
             f"{results['load_start']} at start, {results['load_end']} at end; 2 CPU cores shared with other work, "
             f"no GPU). Library source digest: {digests(results['source_digest'])}.", "",
             f"R modeldata's `{TABLE}` (binary), 75/25 split (seed 0); ROC-AUC on the test split. Every "
             f"configuration gets `time_limit={results['time_limit']:.0f}` for the whole `fit` call (one seed; a "
             "small budget on a loaded machine, so few trials run to their end). The searches use "
             "`presets=\"medium_quality_hpo\"` (its default space: learning rate a decade either side of the "
             f"preset's, weight decay, batch size, fusion, tabular dropout) with `num_trials={NUM_TRIALS}` and ASHA; "
             "trials run 2 at a time, 1 CPU each. Predict: the whole test split, median of 3.", "",
             "| Configuration | Test ROC-AUC (÷ default) | Fit (÷ default) | Predict (÷ default) | Trials: completed / "
             "stopped (ASHA, or cut by the time limit) / failed |", "|---|---|---|---|---|"]
    for name, case in cases.items():
        if "error" in case:
            lines.append(f"| {name} | failed: {case['error']} | | | |")
            continue
        trials = case.get("trials") or []
        counts = " / ".join(str(sum(t["status"] == s for t in trials)) for s in ("completed", "stopped", "failed"))
        ok = "error" not in base
        score = case["scores"]["roc_auc"]
        lines.append(
            f"| {name} | **{score:.4f}** ({ratio(score, base['scores']['roc_auc']) if ok else '–'}) | "
            f"{seconds(case['fit_s'])} ({ratio(case['fit_s'], base['fit_s']) if ok else '–'}) | "
            f"{seconds(case['predict_s'])} for {case['test_rows']:,} rows "
            f"({ratio(case['predict_s'], base['predict_s']) if ok else '–'}) | {counts if trials else '–'} |")
    best = {name: case["best_config"] for name, case in cases.items() if case.get("best_config")}
    lines += ["", "One seed on shared, loaded cores: test-score differences of about ±0.01 are within what a training "
              "seed changes on this table (see the tabular section), and predict times follow the load more than "
              "the configuration.", "", "Best configurations found: " + "; ".join(
        f"{name}: `{ {k: (round(v, 6) if isinstance(v, float) else v) for k, v in config.items()} }`"
        for name, config in best.items()) + "."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
