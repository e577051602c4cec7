"""Bag of tricks: each training trick against the plain default on real data, in the same run.

    python -m benchmarks.tricks            # 12 fits of 2 epochs each, one seed; writes the BENCHMARKS.md section
    python -m benchmarks.tricks --quick    # 1 epoch each; prints only

Datasets (``benchmarks.datasets``): ``mixed_table`` (a Fashion-MNIST image + a fine-food review + a word count; the
label needs both) for cross-modal alignment, and again with 30% of the reviews and, independently, 30% of the
images blanked in train and test for the missing-modality variants; fine-food reviews for word augmentation;
Fashion-MNIST for TrivialAugment; R modeldata's credit_data table for feature mixup. Each fit runs in its own
fresh process for the same number of epochs (a fixed amount of training rather than a ``time_limit``: on a loaded
machine a short time limit stops after the first, slow step, and a time budget would mix the tricks' effect with
the machine's load at the time).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from . import fit_cases
from .fit_cases import load_average, publish, run_record, source_digest, timed

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work" / "tricks"
SECTION = "## Bag of tricks"
ROWS = {"train": 96, "test": 100}
BLANK = 0.3  # fraction of reviews and (independently) of images removed in the missing-modality experiment
# experiment -> (dataset, {configuration: overrides}); the first configuration of each is the plain default.
EXPERIMENTS: dict[str, tuple[str, dict[str, dict[str, Any]]]] = {  # cheapest first: each is published when done
    "Feature mixup": ("credit_data", {
        "default": {},
        "mixup alpha 0.2": {"optim.mixup_alpha": 0.2},
    }),
    "Image augmentation (TrivialAugmentWide)": ("fashion_mnist", {
        "default (crop_flip)": {},
        "trivial_augment": {"model.image.augment_policy": "trivial_augment"},
    }),
    "Text augmentation (EDA delete + swap)": ("fine_foods", {
        "default": {},
        "delete 0.1 + swap 0.1": {"model.text.augment_delete": 0.1, "model.text.augment_swap": 0.1},
    }),
    "Cross-modal alignment": ("mixed", {
        "default": {},
        "alignment positive_kl": {"model.fusion.alignment": "positive_kl"},
        "alignment infonce": {"model.fusion.alignment": "infonce"},
    }),
    f"Missing modality ({BLANK:.0%} of reviews and of images blanked)": ("mixed_blanked", {
        "default (learnable)": {},
        "impute": {"model.fusion.missing_modality": "impute"},
        "learnable + modality dropout 0.2": {"model.fusion.modality_dropout": 0.2},
    }),
}
HEADLINE = {"binary": "roc_auc", "multiclass": "accuracy"}
# Applied to every configuration, the defaults included, so that a fit is short on 2 shared cores (Fashion-MNIST
# images are 28 px; a review's first 48 tokens carry most of its tone).
COMMON = {"model.image.image_size": 32, "model.text.max_length": 48, "optim.batch_size": 16}
TIME_CAP = 900.0  # a fit's time_limit: a safety cap only, the epochs end training


def load(dataset: str) -> tuple[Any, Any, str]:
    """``(train, test, label)`` of ``dataset`` at ``ROWS`` rows."""
    import numpy as np

    from .datasets import fashion_mnist, fine_foods, mixed_table, modeldata_table

    images = WORK / "images"
    if dataset == "credit_data":
        train, test, label, _ = modeldata_table(dataset)
        return train, test, label
    if dataset == "fashion_mnist":
        return (*fashion_mnist(ROWS["train"], ROWS["test"], images), "label")
    if dataset == "fine_foods":
        train, test = fine_foods()
        return train.sample(ROWS["train"], random_state=0), test.sample(ROWS["test"], random_state=0), "score"
    train, test = mixed_table(ROWS["train"], ROWS["test"], images)
    if dataset == "mixed_blanked":
        rng = np.random.default_rng(0)
        for frame in (train, test):
            frame.loc[rng.random(len(frame)) < BLANK, "review"] = None
            frame.loc[rng.random(len(frame)) < BLANK, "image"] = None
    return train, test, "label"


def case_in_this_process(spec: dict[str, Any], out: str) -> None:
    """Fit one configuration; write its test score, fit time and evaluate time to ``out`` (JSON)."""
    import tempfile

    from automm.core import MultiModalPredictor

    started = time.perf_counter()
    train, test, label = load(spec["dataset"])
    with tempfile.TemporaryDirectory() as folder:
        predictor = MultiModalPredictor(label=label, path=Path(folder) / "predictor",
                                        hyperparameters={**COMMON, "optim.max_epochs": spec["epochs"],
                                                         **spec["hyperparameters"]})
        fit_s, _ = timed(lambda: predictor.fit(train, time_limit=TIME_CAP, seed=0))
        metric = HEADLINE[predictor.problem_type]
        evaluate_s, scores = timed(lambda: predictor.evaluate(test, metrics=[metric]))
        summary = predictor.fit_summary
    Path(out).write_text(json.dumps({
        **spec, "scores": {"headline": scores[metric]}, "metric": metric, "fit_s": fit_s, "evaluate_s": evaluate_s,
        "epochs": summary.get("epochs"), "steps": summary.get("steps"), "stopped_by": summary.get("stopped_by"),
        "train_rows": len(train), "test_rows": len(test), "wall_s": time.perf_counter() - started}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 epoch each; prints only")
    args = parser.parse_args(argv)
    epochs = 1 if args.quick else 2
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, Any] = {**run_record("tricks", argv), "epochs": epochs, "experiments": {}}
    for number, (experiment, (dataset, configurations)) in enumerate(EXPERIMENTS.items()):
        results["experiments"][experiment] = {"dataset": dataset, "runs": {
            name: fit_cases.run_case("tricks", WORK, {"name": f"{number}-{index}", "dataset": dataset,
                                                      "hyperparameters": overrides, "epochs": epochs,
                                                      "time_limit": TIME_CAP},
                                     "headline")
            for index, (name, overrides) in enumerate(configurations.items())}}
        results["load_end"] = load_average()
        results["source_digest"] = [*results["source_digest"][:1], source_digest()]
        results["wall_s"] = time.perf_counter() - started
        publish(results, render(results), WORK, args.quick)  # after each experiment: a long run keeps what it did
    return 1 if any("error" in run for e in results["experiments"].values() for run in e["runs"].values()) else 0


# ---------------------------------------------------------------------------------------------- report
def _row(name: str, run: dict[str, Any], base: dict[str, Any]) -> str:
    name = f"{name} `{json.dumps(run['hyperparameters'])}`" if run.get("hyperparameters") else name
    if "error" in run:
        return f"| {name} | failed: {run['error']} | | | | |"
    score, metric = run["scores"]["headline"], run["metric"]
    if run is base:
        versus = "–"
    elif "error" in base:
        versus = "n/a"
    else:
        versus = f"**{score - base['scores']['headline']:+.4f}**"
    ratios = ("", "") if run is base or "error" in base else (
        f" ({run['fit_s'] / base['fit_s']:.2f}x)", f" ({run['evaluate_s'] / base['evaluate_s']:.2f}x)")
    return (f"| {name} | {metric} {score:.4f} | {versus} | {run['fit_s']:.0f} s{ratios[0]}; {run['epochs']} "
            f"epochs, {run['steps']} steps, {run['stopped_by']} | {run['evaluate_s']:.1f} s{ratios[1]} |")


def render(results: dict[str, Any]) -> str:
    from .report import digests

    epochs = results["epochs"]
    lines = [SECTION, "",
             f"`{results['command']}` on {results['date']} (whole run {results['wall_s'] / 60:.0f} min; load average "
             f"{results['load_start']} at start, {results['load_end']} at end; 2 CPU cores shared with other jobs, "
             f"no GPU). Library source digest: {digests(results['source_digest'])}.", "",
             f"Short fits on purpose: every configuration trains `optim.max_epochs={epochs}` (the same training for "
             "each, rather than a time limit: on this loaded machine a 60-120 s limit stopped multimodal fits after "
             f"their first, slow step; `time_limit={TIME_CAP:.0f}` is only a cap), {ROWS['train']} training rows "
             f"(a holdout for validation is taken from them) and {ROWS['test']} test rows (credit_data: its own "
             "75/25 split), one training seed, a fresh "
             f"process per fit, the default backbones (MiniLM-L6, EfficientNet-Lite0) and presets, and for every "
             f"configuration (the default too) `{json.dumps(COMMON)}` so that a fit takes more than a few steps here. "
             "The first row of "
             "each experiment is the plain default, measured in the same run; the other rows differ from it by the "
             "keys named. Differences of a point or two are within what one seed of a short fit varies by; read "
             "them as a sign, not a verdict. Fit time is the whole `fit` call; evaluate is `evaluate` on the test "
             "rows (prediction latency, which the tricks must not change).", ""]
    for experiment, entry in results["experiments"].items():
        runs = entry["runs"]
        base = next(iter(runs.values()))
        lines += [f"### {experiment} — `{entry['dataset']}`", "",
                  "| Configuration | Test score | vs default | Fit (vs default) | Evaluate (vs default) |",
                  "|---|---|---|---|---|"]
        lines += [_row(name, run, base) for name, run in runs.items()]
        lines.append("")
    gains = [(run["scores"]["headline"] - next(iter(e["runs"].values()))["scores"]["headline"], name)
             for e in results["experiments"].values() for name, run in list(e["runs"].items())[1:]
             if "error" not in run and "error" not in next(iter(e["runs"].values()))]
    if gains:
        best, name = max(gains)
        lines += [f"Largest gain over the default: **{best:+.4f}** ({name}); tricks ahead of their default: "
                  f"{sum(g > 0 for g, _ in gains)} of {len(gains)}. The load average changed during the run (see "
                  "above), so the time ratios mostly follow the machine's load, not the trick.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
