"""Tabular quality at equal budget: the budget-spending default vs one network, the best single configuration and
HistGradientBoosting.

    python -m benchmarks.tabular            # 7 real tables x 3 configurations x 3 seeds, 60 s each; BENCHMARKS.md
    python -m benchmarks.tabular --quick    # 2 tables, 1 seed, 20 s fits; prints only

Tables: R modeldata's (``benchmarks.datasets.modeldata_table``: credit scoring, churn, attrition, house prices, cell
classes), split 75/25 with a fixed seed; ``load_table`` also reads the penguins and breast-cancer tables (80/20). Every
configuration gets the same ``time_limit``; each fit runs in its own fresh process, once per training seed (the
split stays fixed). scikit-learn's HistGradientBoosting (defaults, native categorical support, no time limit) is
measured in the same run as a reference for what the tables allow.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from . import fit_cases
from .fit_cases import run_record, timed

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work" / "tabular"
SECTION = "## Tabular quality at equal budget"
HEADLINE = {"binary": "roc_auc", "multiclass": "accuracy", "regression": "r2"}
ONE_NETWORK = {"ensemble.budget": "off"}
CONFIGURATIONS = {
    "one network (automm-core 0.6's default, `ensemble.budget=off`)": ONE_NETWORK,
    "new default (spends the budget)": {},
    "plain MLP, one network": {**ONE_NETWORK, "model.tabular.model": "mlp"},
}
TODAY, NEW, MLP = CONFIGURATIONS
TABLES = ("credit_data", "mlc_churn", "attrition", "wa_churn", "hpc_data", "ames", "sacramento")
QUICK_TABLES = ("credit_data", "sacramento")
SEEDS, QUICK_SEEDS = (0, 1, 2), (0,)
SINGLE_ROW_CALLS = 10


def load_table(name: str) -> tuple[Any, Any, str, str]:
    """(train, test, label, problem type) of a benchmark table."""
    from . import datasets

    if name == "penguins":
        return (*datasets.penguins(), "species", "multiclass")
    if name == "breast_cancer":
        return (*datasets.breast_cancer(), "label", "binary")
    train, test, label, problem_type = datasets.modeldata_table(name)
    return train, test, label, str(problem_type)


def case_in_this_process(spec: dict[str, Any], out: str) -> None:
    """Fit one configuration on one table; write its test scores, timings, members and latency to ``out``."""
    import tempfile

    from automm.core import MultiModalPredictor

    started = time.perf_counter()
    train, test, label, problem_type = load_table(spec["table"])
    metrics = ["rmse", "r2"] if problem_type == "regression" else [HEADLINE[problem_type]]
    with tempfile.TemporaryDirectory() as folder:
        predictor = MultiModalPredictor(label=label, problem_type=problem_type, path=Path(folder) / "predictor",
                                        hyperparameters=spec["hyperparameters"], verbosity=1)
        fit_s, _ = timed(lambda: predictor.fit(train, time_limit=spec["time_limit"], seed=spec["seed"]))
        scores = predictor.evaluate(test, metrics=metrics)
        summary = dict(predictor.fit_summary)
        features = test.drop(columns=[label])
        predictor.predict(features.head(1))  # warm-up
        rows = [features.iloc[[i]] for i in range(SINGLE_ROW_CALLS)]
        latency = statistics.median(timed(lambda row=row: predictor.predict(row))[0] for row in rows)
    ensemble = summary.get("ensemble") or {}
    Path(out).write_text(json.dumps({
        **spec, "scores": {"headline": scores[HEADLINE[problem_type]], **scores}, "fit_s": fit_s,
        "epochs": summary.get("epochs"), "stopped_by": summary.get("stopped_by"), "train_rows": len(train),
        "test_rows": len(test), "problem_type": problem_type, "single_row_s": latency,
        "members": len(ensemble.get("members", [])) or 1,
        "kept": sum(m["weight"] > 0 for m in ensemble.get("members", [])) or 1,
        "budget_stop": ensemble.get("stopped") or summary.get("ensemble_budget"),
        "wall_s": time.perf_counter() - started}))


def gradient_boosting(table: str) -> dict[str, Any]:
    """scikit-learn's HistGradientBoosting with defaults on the same split: the reference row."""
    import pandas as pd
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.metrics import accuracy_score, r2_score, roc_auc_score

    train, test, label, problem_type = load_table(table)
    features, test_features = train.drop(columns=label), test.drop(columns=label)
    for column in features.columns:
        if features[column].dtype == object:
            categories = pd.CategoricalDtype(sorted(features[column].dropna().astype(str).unique()))
            features[column] = features[column].astype(str).astype(categories)
            test_strings = test_features[column].astype(str)  # unseen categories become missing
            test_features[column] = test_strings.where(test_strings.isin(categories.categories)).astype(categories)
        else:
            features[column] = features[column].astype(float)
            test_features[column] = test_features[column].astype(float)
    if problem_type == "regression":
        model = HistGradientBoostingRegressor(categorical_features="from_dtype", random_state=0)
        fit_s, _ = timed(lambda: model.fit(features, train[label]))
        return {"headline": r2_score(test[label], model.predict(test_features)), "fit_s": fit_s}
    model = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)
    fit_s, _ = timed(lambda: model.fit(features, train[label].astype(str)))
    truth = test[label].astype(str)
    if problem_type == "binary":
        score = roc_auc_score(truth == model.classes_[1], model.predict_proba(test_features)[:, 1])
    else:
        score = accuracy_score(truth, model.predict(test_features))
    return {"headline": score, "fit_s": fit_s}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2 tables, 20 s fits; prints only")
    args = parser.parse_args(argv)
    tables, seeds, time_limit = (QUICK_TABLES, QUICK_SEEDS, 20.0) if args.quick else (TABLES, SEEDS, 60.0)
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, Any] = {**run_record("tabular", argv), "time_limit": time_limit, "seeds": list(seeds),
                               "cores": len(os.sched_getaffinity(0)), "tables": {}}
    for table in tables:
        cases = {}
        for number, (name, overrides) in enumerate(CONFIGURATIONS.items()):
            cases[name] = [fit_cases.run_case("tabular", WORK, {"name": f"{table}-{number}-seed{seed}", "table": table,
                                                                 "hyperparameters": overrides, "seed": seed,
                                                                 "time_limit": time_limit}, "headline")
                           for seed in seeds]
        results["tables"][table] = {"cases": cases, "reference": gradient_boosting(table)}
    fit_cases.finish(results, started, render, WORK, args.quick)
    return 1 if any("error" in run for t in results["tables"].values() for c in t["cases"].values() for run in c) else 0


# ---------------------------------------------------------------------------------------------- report
def _scores(runs: list[dict[str, Any]]) -> list[float] | None:
    """The test scores over seeds, or None when any run failed."""
    return None if any("error" in run for run in runs) else [run["scores"]["headline"] for run in runs]


def _spread(scores: list[float]) -> float:
    return statistics.stdev(scores) if len(scores) > 1 else 0.0


def _cell(runs: list[dict[str, Any]], limit: float) -> str:
    scores = _scores(runs)
    if scores is None:
        return f"failed: {next(run['error'] for run in runs if 'error' in run)}"
    slowest = max(run["fit_s"] for run in runs)
    return (f"**{statistics.mean(scores):.4f}** ± {_spread(scores):.4f} ({' / '.join(f'{v:.3f}' for v in scores)}; "
            f"fit ≤ {slowest:.0f} s = {slowest / limit:.0%} of the limit)")


def _members(runs: list[dict[str, Any]]) -> str:
    fine = [run for run in runs if "error" not in run]
    if not fine:
        return "–"
    latency = statistics.median(run["single_row_s"] for run in fine) * 1e3
    return (f"{' / '.join(str(run['members']) for run in fine)} trained, {' / '.join(str(run['kept']) for run in fine)}"
            f" kept; {latency:.1f} ms")


def _summary(results: dict[str, Any], limit: float) -> list[str]:
    """The verdict lines: tables where the new default is at least as good within spread, mean gain, overruns."""
    within, gains, latency = 0, [], []
    for entry in results["tables"].values():
        today, new = _scores(entry["cases"][TODAY]), _scores(entry["cases"][NEW])
        if today is None or new is None:
            continue
        gain = statistics.mean(new) - statistics.mean(today)
        gains.append(gain)
        within += gain >= -max(_spread(today), _spread(new))
        rows = {name: statistics.median(r["single_row_s"] for r in entry["cases"][name]) for name in (TODAY, NEW)}
        latency.append(rows[NEW] / rows[TODAY])
    fits = [run for t in results["tables"].values() for runs in t["cases"].values() for run in runs
            if "error" not in run]
    worst = max((run["fit_s"] / limit - 1 for run in fits), default=float("nan"))
    return [f"The new default is at least as good as one network within seed spread (the larger standard deviation "
            f"of the two) on **{within} of {len(gains)}** tables; mean difference over tables "
            f"**{statistics.mean(gains):+.4f}** (better on {sum(g > 0 for g in gains)}). Single-row predict latency, "
            f"new ÷ one network, median over tables: **{statistics.median(latency):.2f}x** (range "
            f"{min(latency):.2f}x–{max(latency):.2f}x). Largest `fit` overrun of the time limit over all {len(fits)} "
            f"fits: **{worst:+.1%}** (negative: every fit ended before its limit)."]


def _cores(results: dict[str, Any]) -> str:
    cores = results.get("cores", 2)
    return "2 CPU cores" if cores == 2 else f"pinned to {cores} of the machine's 2 CPU cores, the other one busy"


def render(results: dict[str, Any]) -> str:
    from .report import digests

    limit, seeds = results["time_limit"], results["seeds"]
    lines = [SECTION, "",
             f"`{results['command']}` on {results['date']} (whole run {results['wall_s'] / 60:.0f} min; load average "
             f"{results['load_start']} at start, {results['load_end']} at end; {_cores(results)}, no GPU). Library "
             f"source digest: {digests(results['source_digest'])}.", "",
             f"Real tables: R modeldata's (75/25 split, seed 0). Every fit: "
             f"`time_limit={limit:.0f}`, `presets` default, training seeds {seeds}, a fresh process each. Score: "
             "ROC-AUC (binary), accuracy (multiclass), R² (regression) on the test split: the mean over seeds in bold "
             "± the standard deviation, each seed's, and the slowest whole `fit` call against the limit. *One "
             "network* is automm-core 0.6's default (`ensemble.budget=off`: one network that stops when early "
             "stopping says so); *new default* spends the rest of the budget on members (the other tabular encoder, "
             "then bags of the better one) weighted on a held-out selection slice (`automm.core.ensemble.budget`). "
             "*Best single* is the better of the two single-network configurations it considers (this table's "
             "FT-Transformer default, and the plain MLP), picked by test score, so it is an optimistic reference. "
             "Members: trained / kept per seed, and the new default's median single-row `predict` latency beside "
             "one network's. HistGradientBoosting (scikit-learn defaults) is a reference for what each table allows.",
             "",
             "| Table (problem, train rows) | one network | new default | best single | HistGradientBoosting "
             "| new − one network | members; single-row predict (new vs one network) |",
             "|---|---|---|---|---|---|---|"]
    for table, entry in results["tables"].items():
        cases = entry["cases"]
        first = next((run for runs in cases.values() for run in runs if "error" not in run), {})
        today, new, mlp = (_scores(cases[name]) for name in (TODAY, NEW, MLP))
        singles = {name: statistics.mean(s) for name, s in ((TODAY, today), (MLP, mlp)) if s is not None}
        best = max(singles, key=singles.__getitem__) if singles else None
        today_ms = statistics.median(r["single_row_s"] for r in cases[TODAY] if "error" not in r) * 1e3 if today \
            else float("nan")
        lines.append("| " + " | ".join([
            f"{table} ({first.get('problem_type', '?')}, {first.get('train_rows', '?')})",
            _cell(cases[TODAY], limit), _cell(cases[NEW], limit),
            "–" if best is None else f"{singles[best]:.4f} ({'MLP' if best == MLP else 'default encoder'})",
            f"{entry['reference']['headline']:.4f} ({entry['reference']['fit_s']:.1f} s)",
            "–" if today is None or new is None else f"**{statistics.mean(new) - statistics.mean(today):+.4f}**",
            f"{_members(cases[NEW])} vs {today_ms:.1f} ms"]) + " |")
    return "\n".join([*lines, "", *_summary(results, limit)]) + "\n"


if __name__ == "__main__":
    sys.exit(main())
