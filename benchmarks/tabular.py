"""Tabular quality at equal budget: this version's defaults vs the previous defaults and a plain MLP.

    python -m benchmarks.tabular            # 7 real tables x 3 configurations x 2 seeds, 120 s each; BENCHMARKS.md
    python -m benchmarks.tabular --quick    # 2 tables, 1 seed, 20 s fits; prints only

Tables are R modeldata's (``benchmarks.datasets.modeldata_table``: credit scoring, churn, attrition, house prices,
cell classes), split 75/25 with a fixed seed. Every configuration gets the same ``time_limit``; each fit runs in its
own fresh process, once per training seed (the split stays fixed). scikit-learn's HistGradientBoosting (defaults,
native categorical support, no time limit) is measured in the same run as a reference for what the tables allow.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from . import fit_cases
from .fit_cases import load_average, source_digest, timed

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work" / "tabular"
SECTION = "## Tabular quality at equal budget"
HEADLINE = {"binary": "roc_auc", "multiclass": "accuracy", "regression": "r2"}
# What "previous" means: automm-core 0.2's tabular settings, spelled as overrides of this version's.
PREVIOUS = {"model.tabular.model": "mlp", "model.tabular.numerical_transform": "standard"}
CONFIGURATIONS = {
    "automm (this version's defaults)": {},
    "automm 0.2 defaults (MLP, z-scored numeric columns)": PREVIOUS,
    "plain MLP (this version, `model.tabular.model=mlp`)": {"model.tabular.model": "mlp"},
}
TABLES = ("credit_data", "mlc_churn", "attrition", "wa_churn", "hpc_data", "ames", "sacramento")
QUICK_TABLES = ("credit_data", "sacramento")
SEEDS, QUICK_SEEDS = (0, 1), (0,)


def case_in_this_process(spec: dict[str, Any], out: str) -> None:
    """Fit one configuration on one table; write its test scores and timings to ``out`` (JSON)."""
    import tempfile

    from automm.core import MultiModalPredictor

    from .datasets import modeldata_table

    started = time.perf_counter()
    train, test, label, problem_type = modeldata_table(spec["table"])
    metrics = ["rmse", "r2"] if problem_type == "regression" else [HEADLINE[problem_type]]
    with tempfile.TemporaryDirectory() as folder:
        predictor = MultiModalPredictor(label=label, problem_type=problem_type, path=Path(folder) / "predictor",
                                        hyperparameters=spec["hyperparameters"])
        fit_s, _ = timed(lambda: predictor.fit(train, time_limit=spec["time_limit"], seed=spec["seed"]))
        scores = predictor.evaluate(test, metrics=metrics)
        summary = predictor.fit_summary
    Path(out).write_text(json.dumps({
        **spec, "scores": {"headline": scores[HEADLINE[problem_type]], **scores}, "fit_s": fit_s,
        "epochs": summary.get("epochs"), "stopped_by": summary.get("stopped_by"), "train_rows": len(train),
        "test_rows": len(test), "problem_type": problem_type, "wall_s": time.perf_counter() - started}))


def gradient_boosting(table: str) -> dict[str, Any]:
    """scikit-learn's HistGradientBoosting with defaults on the same split: the reference row."""
    import pandas as pd
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.metrics import accuracy_score, r2_score, roc_auc_score

    from .datasets import modeldata_table

    train, test, label, problem_type = modeldata_table(table)
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
    tables, seeds, time_limit = (QUICK_TABLES, QUICK_SEEDS, 20.0) if args.quick else (TABLES, SEEDS, 120.0)
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, Any] = {"command": " ".join(["python -m benchmarks.tabular", *(argv or sys.argv[1:])]),
                               "date": time.strftime("%Y-%m-%d %H:%M %Z"), "load_start": load_average(),
                               "time_limit": time_limit, "seeds": list(seeds), "source_digest": [source_digest()],
                               "tables": {}}
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
def _mean(runs: list[dict[str, Any]]) -> float | None:
    """The mean test score over seeds, or None when any run failed."""
    if any("error" in run for run in runs):
        return None
    return sum(run["scores"]["headline"] for run in runs) / len(runs)


def _cell(runs: list[dict[str, Any]], limit: float) -> str:
    failed = [run for run in runs if "error" in run]
    if failed:
        return f"failed: {failed[0]['error']}"
    scores = [run["scores"]["headline"] for run in runs]
    slowest = max(run["fit_s"] for run in runs)
    over = slowest - limit
    timing = f"fit ≤ {slowest:.0f} s" + (f", **{over:.0f} s over**" if over > 5 else "")
    return f"**{_mean(runs):.4f}** ({' / '.join(f'{v:.3f}' for v in scores)}; {timing})"


def render(results: dict[str, Any]) -> str:
    from .report import digests

    limit, seeds = results["time_limit"], results["seeds"]
    names = list(CONFIGURATIONS)
    lines = [SECTION, "",
             f"`{results['command']}` on {results['date']} (whole run {results['wall_s'] / 60:.0f} min; load average "
             f"{results['load_start']} at start, {results['load_end']} at end; 2 CPU cores, no GPU). Library source "
             f"digest: {digests(results['source_digest'])}.", "",
             f"Real tables from R's modeldata, 75/25 split (seed 0). Each configuration: `time_limit={limit:.0f}`, "
             f"`presets` default, training seeds {seeds}, a fresh process per fit. Score: ROC-AUC (binary), accuracy "
             "(multiclass), R² (regression) on the test split, the mean over seeds in bold, then each seed's, and "
             "the slowest whole `fit` call. The first configuration is this version's defaults; the second restores "
             f"the previous version's tabular encoder and numeric transform (`{json.dumps(PREVIOUS)}`; this "
             "version's faster batching and time budget apply to both). HistGradientBoosting (scikit-learn "
             "defaults) is a reference for what each table allows, not part of automm.", "",
             "| Table (problem, train rows) | " + " | ".join(names) + " | HistGradientBoosting | this − previous |",
             "|---" * (len(names) + 3) + "|"]
    wins, gains = 0, []
    for table, entry in results["tables"].items():
        cases = entry["cases"]
        first = next((run for runs in cases.values() for run in runs if "error" not in run), {})
        row = [f"{table} ({first.get('problem_type', '?')}, {first.get('train_rows', '?')})"]
        row += [_cell(cases[name], limit) for name in names]
        row.append(f"{entry['reference']['headline']:.4f} ({entry['reference']['fit_s']:.1f} s)")
        current, previous = _mean(cases[names[0]]), _mean(cases[names[1]])
        if current is None or previous is None:
            row.append("–")
        else:
            gains.append(current - previous)
            wins += current > previous
            row.append(f"**{current - previous:+.4f}**")
        lines.append("| " + " | ".join(row) + " |")
    fits = [run for t in results["tables"].values() for runs in t["cases"].values() for run in runs
            if "error" not in run]
    worst = max((run["fit_s"] - limit for run in fits), default=float("nan"))
    mean_gain = sum(gains) / len(gains) if gains else float("nan")
    lines += ["", f"This version's defaults beat the previous ones on **{wins} of {len(gains)}** tables (mean "
              f"difference {mean_gain:+.4f}). Largest `fit` overrun of the time limit over all {len(fits)} fits: "
              f"**{worst:+.1f} s** (negative: every fit ended before its limit)."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
