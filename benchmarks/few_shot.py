"""Few-shot classification vs full fine-tuning, with k labelled rows per class.

    python -m benchmarks.few_shot            # k in {2, 5, 10, 20, 50}, 2 shot samples; writes BENCHMARKS.md
    python -m benchmarks.few_shot --quick    # k in {2, 10}, 1 sample, smaller test sets; prints only

Real data: fine-food reviews (text, "great" vs "other") and Fashion-MNIST (images, 10 classes). For each k and
seed, k rows per class are drawn from the training split; both arms fit on the same rows and predict the same
fixed test rows. The baseline is the plain default predictor (problem_type binary / multiclass, default presets,
fine-tuning the same backbones) under a small ``time_limit``; the few-shot arm is
``problem_type="few_shot_classification"`` with its defaults and no time limit. One fresh process per dataset and
arm; every fit in it loads its backbones again, so fit times include that for both arms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import fit_cases
from .fit_cases import load_average, publish, run_record, source_digest, timed

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work" / "few_shot"
SECTION = "## Few-shot classification"
ARMS = {"few_shot": "few_shot_classification", "fine_tune": None}  # None: the dataset's binary / multiclass
# label, problem type, test rows (class-balanced), hyperparameters of both arms
DATASETS: dict[str, tuple[str, str, int, dict[str, Any]]] = {
    "fine_foods": ("score", "binary", 100, {}),
    # 28-pixel images: both arms at 128 pixels instead of the default 224, to fit the machine's budget
    "fashion_mnist": ("label", "multiclass", 100, {"model.image.image_size": 128}),
}
SHOTS, QUICK_SHOTS = (2, 5, 10, 20, 50), (2, 10)
SEEDS, QUICK_SEEDS = (0, 1), (0,)
TIME_LIMIT = 30.0  # seconds for each fine-tuning fit
# A check of the short budget: fine-tuning with 4x the time at two k, first shot sample only (full runs only).
LONG_TIME_LIMIT, LONG_SHOTS = 120.0, (10, 50)
SINGLE_ROW_CALLS = 5
ONE_THREAD = {"OMP_NUM_THREADS": "1"}  # the 2 cores are shared: more threads than free cores only spin


def load(dataset: str, test_rows: int, pool_per_class: int) -> tuple[Any, Any]:
    """(training pool, test rows) of ``dataset``: test rows drawn once with seed 0, stratified."""
    from .datasets import fashion_mnist, fine_foods

    label = DATASETS[dataset][0]
    if dataset == "fine_foods":
        train, test = fine_foods()
        train, test = train[["review", label]], test[["review", label]]
        per_class = test_rows // test[label].nunique()
        return train, test.groupby(label).sample(per_class, random_state=0).sample(frac=1.0, random_state=0)
    return fashion_mnist(pool_per_class * 10, test_rows, WORK / "fashion_images", seed=0)


def case_in_this_process(spec: dict[str, Any], out: str) -> None:
    """Every (k, seed) fit of one arm on one dataset; writes accuracies and timings to ``out`` (JSON)."""
    started = time.perf_counter()
    label = DATASETS[spec["dataset"]][0]
    pool, test = load(spec["dataset"], spec["test_rows"], max(spec["shots"]))
    runs = []
    for shots in spec["shots"]:
        for seed in spec["seeds"]:
            train = pool.groupby(label).sample(shots, random_state=seed).sample(frac=1.0, random_state=seed)
            runs.append({"shots": shots, "seed": seed, **one_fit(spec, train, test, seed)})
            print(json.dumps(runs[-1]), flush=True)
    Path(out).write_text(json.dumps({**spec, "runs": runs, "test_rows": len(test),
                                     "scores": {"accuracy": statistics.mean(r["accuracy"] for r in runs)},
                                     "wall_s": time.perf_counter() - started}))


def one_fit(spec: dict[str, Any], train: Any, test: Any, seed: int) -> dict[str, Any]:
    """Fit one arm on ``train``; its test accuracy, fit time, batch and single-row predict times."""
    from automm.core import MultiModalPredictor

    label, problem_type, _, hyperparameters = DATASETS[spec["dataset"]]
    features = test.drop(columns=label)
    with tempfile.TemporaryDirectory() as folder:
        predictor = MultiModalPredictor(label=label, problem_type=ARMS[spec["arm"]] or problem_type,
                                        path=Path(folder) / "p", hyperparameters=hyperparameters, verbosity=1)
        limit = spec["time_limit"] if spec["arm"] == "fine_tune" else None
        fit_s, _ = timed(lambda: predictor.fit(train, time_limit=limit, seed=seed))
        predict_s, predicted = timed(lambda: predictor.predict(features))
        single = [timed(lambda i=i: predictor.predict(features.iloc[[i]]))[0]
                  for i in range(SINGLE_ROW_CALLS + 1)][1:]  # the first call warms up
        return {"accuracy": float((predicted == test[label]).mean()), "fit_s": fit_s, "predict_s": predict_s,
                "single_row_s": statistics.median(single), "stopped_by": predictor.fit_summary.get("stopped_by")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="k in {2, 10}, one seed, smaller test sets; prints only")
    parser.add_argument("--resume", action="store_true", help="reuse the cases a previous run finished (same spec)")
    args = parser.parse_args(argv)
    shots, seeds = (QUICK_SHOTS, QUICK_SEEDS) if args.quick else (SHOTS, SEEDS)
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, Any] = {**run_record("few_shot", argv), "time_limit": TIME_LIMIT, "seeds": list(seeds),
                               "datasets": {}}
    for dataset, (_, _, test_rows, _) in DATASETS.items():
        results["datasets"][dataset] = {
            arm: run_or_reuse({"name": f"{dataset}-{arm}", "dataset": dataset, "arm": arm, "shots": list(shots),
                               "seeds": list(seeds), "test_rows": test_rows // 2 if args.quick else test_rows,
                               "time_limit": TIME_LIMIT}, args.resume)
            for arm in ARMS}
        if not args.quick:
            results["datasets"][dataset]["fine_tune_long"] = run_or_reuse(
                {"name": f"{dataset}-fine_tune_long", "dataset": dataset, "arm": "fine_tune", "shots": list(LONG_SHOTS),
                 "seeds": [seeds[0]], "test_rows": test_rows, "time_limit": LONG_TIME_LIMIT}, args.resume)
    results["load_end"] = load_average()
    results["source_digest"].append(source_digest())
    results["wall_s"] = time.perf_counter() - started
    (WORK / "results-raw.json").write_text(json.dumps(results, indent=1))  # kept even if rendering fails
    publish(results, render(results), WORK, args.quick)
    return 1 if any("error" in case for d in results["datasets"].values() for case in d.values()) else 0


def run_or_reuse(spec: dict[str, Any], resume: bool) -> dict[str, Any]:
    """The case's result: from a previous run's JSON with the same spec when ``resume``, else a fresh process."""
    previous = WORK / f"{spec['name']}.json"
    if resume and previous.exists():
        result = json.loads(previous.read_text())
        if all(result.get(key) == value for key, value in spec.items()):
            print(f"{spec['name']}: reused {previous}", flush=True)
            return {**result, "reused": True}
    return fit_cases.run_case("few_shot", WORK, spec, "accuracy", env=ONE_THREAD)


# ---------------------------------------------------------------------------------------------- report
def _by_shots(case: dict[str, Any]) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = {}
    for run in case.get("runs", []):
        grouped.setdefault(run["shots"], []).append(run)
    return grouped


def _mean(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.mean(run[key] for run in runs)


def _each(runs: list[dict[str, Any]]) -> str:
    return " / ".join(f"{run['accuracy']:.3f}" for run in runs)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def dataset_table(dataset: str, arms: dict[str, dict[str, Any]]) -> tuple[list[str], str]:
    """The Markdown rows of one dataset and one sentence on where fine-tuning catches up."""
    failed = [f"{arm}: {case['error']}" for arm, case in arms.items() if "error" in case and arm in ARMS]
    if failed:
        return [f"| {dataset} | failed: {'; '.join(failed)} |" + " |" * 6], f"{dataset}: failed."
    few, tuned = _by_shots(arms["few_shot"]), _by_shots(arms["fine_tune"])
    rows, better = [], []
    for shots in sorted(few):
        a, b = few[shots], tuned[shots]
        acc_a, acc_b = _mean(a, "accuracy"), _mean(b, "accuracy")
        better.append((shots, acc_a > acc_b))
        rows.append(
            f"| {dataset} | {shots} | **{acc_a:.3f}** ({_each(a)}) | **{acc_b:.3f}** ({_each(b)}) | "
            f"{acc_a / acc_b:.2f}x | "
            f"{_mean(a, 'fit_s'):.1f} s / {_mean(b, 'fit_s'):.1f} s ({_mean(a, 'fit_s') / _mean(b, 'fit_s'):.2f}x) | "
            f"{_ms(_mean(a, 'predict_s'))} / {_ms(_mean(b, 'predict_s'))} "
            f"({_mean(a, 'predict_s') / _mean(b, 'predict_s'):.2f}x) | "
            f"{_ms(_mean(a, 'single_row_s'))} / {_ms(_mean(b, 'single_row_s'))} |")
    wins = [shots for shots, won in better if won]
    small = [won for shots, won in better if shots <= 10]
    catch_up = next((shots for shots, won in better if not won), None)
    sentence = (f"**{dataset}**: few-shot is more accurate than fine-tuning at k = {wins or 'none'} "
                f"({'so at every k <= 10' if small and all(small) else '**not** at every k <= 10'}); "
                + (f"fine-tuning first matches or beats it at k = {catch_up}." if catch_up is not None
                   else "fine-tuning does not catch up within the k measured."))
    return rows, sentence


def render(results: dict[str, Any]) -> str:
    from .report import digests

    lines = [SECTION, "",
             f"`{results['command']}` on {results['date']} (whole run {results['wall_s'] / 60:.0f} min"
             f"{_reused(results)}; load average "
             f"{results['load_start']} at start, {results['load_end']} at end; 2 shared CPU cores, no GPU). Library "
             f"source digest: {digests(results['source_digest'])}.", "",
             "k labelled rows per class drawn from the training split with each seed in "
             f"{results['seeds']}; both arms fit the same rows and predict the same fixed, class-balanced test rows "
             "(fine_foods: 100 reviews, \"great\" vs \"other\"; Fashion-MNIST: 100 images, 10 per class). "
             "**Few-shot**: `problem_type=\"few_shot_classification\"` with its defaults (frozen all-MiniLM-L6-v2 / "
             "EfficientNet-Lite0 embeddings, cross-validated linear SVM), no time limit. **Fine-tuning**, the "
             "baseline: the default `binary` / `multiclass` predictor (same backbones, default presets) with "
             f"`time_limit={results['time_limit']:.0f}` s, small to fit this shared machine; it holds out 20% of "
             "the k rows per class for validation. Fashion-MNIST's 28-pixel images run at "
             "`model.image.image_size=128` in both arms (default 224), and every process uses one torch thread "
             "(`OMP_NUM_THREADS=1`), both to fit the budget of a machine shared with other jobs. Ratios are "
             "few-shot ÷ fine-tuning; accuracy in bold is the mean over seeds, then each seed's. Fit time includes "
             "loading the backbones; batch predict is all test rows.", "",
             "| Dataset | k per class | Few-shot accuracy (per seed) | Fine-tuning accuracy (per seed) | "
             "Accuracy ratio | Fit: few-shot / fine-tuning | Batch predict | Single-row predict (median) |",
             "|---|---|---|---|---|---|---|---|"]
    sentences = []
    for dataset, arms in results["datasets"].items():
        rows, sentence = dataset_table(dataset, arms)
        lines += rows
        sentences.append(sentence)
    lines += ["", *[f"- {s}" for s in sentences]]
    long_rows = [row for dataset, arms in results["datasets"].items() for row in longer_budget(dataset, arms)]
    if long_rows:
        lines += ["", f"Fine-tuning with `time_limit={LONG_TIME_LIMIT:.0f}` s instead (first shot sample only), "
                  "beside the short-budget runs on the same rows:", "",
                  f"| Dataset | k per class | Few-shot | Fine-tuning, {results['time_limit']:.0f} s | Fine-tuning, "
                  f"{LONG_TIME_LIMIT:.0f} s (fit time, stopped by) |", "|---|---|---|---|---|", *long_rows]
    return "\n".join(lines) + "\n"


def _reused(results: dict[str, Any]) -> str:
    """How long the cases reused from earlier runs (``--resume``) took there."""
    reused = [case for arms in results["datasets"].values() for case in arms.values() if case.get("reused")]
    if not reused:
        return ""
    return (f", plus {sum(case['wall_s'] for case in reused) / 60:.0f} min in {len(reused)} cases reused from earlier "
            "runs (`--resume`, same library source digest)")


def longer_budget(dataset: str, arms: dict[str, dict[str, Any]]) -> list[str]:
    """Rows comparing the longer fine-tuning runs with both arms' runs on the same shot sample."""
    case = arms.get("fine_tune_long")
    if case is None:
        return []
    if "error" in case:
        return [f"| {dataset} | failed: {case['error']} | | | |"]
    seed = case["seeds"][0]
    same = {arm: {run["shots"]: run for run in arms[arm].get("runs", []) if run["seed"] == seed} for arm in ARMS}
    return [f"| {dataset} | {run['shots']} | {same['few_shot'][run['shots']]['accuracy']:.3f} | "
            f"{same['fine_tune'][run['shots']]['accuracy']:.3f} | **{run['accuracy']:.3f}** ({run['fit_s']:.0f} s, "
            f"{run['stopped_by']}) |" for run in case["runs"]]


if __name__ == "__main__":
    sys.exit(main())
