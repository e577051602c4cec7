"""Knowledge distillation on real reviews: the default teacher, a 2-layer student alone, the same student distilled.

    python -m benchmarks.distillation            # 2,000 reviews, 4 epochs per fit; BENCHMARKS.md
    python -m benchmarks.distillation --quick    # 200 reviews, 1 epoch per fit; prints only

Data: R modeldata's Amazon fine-food reviews (``benchmarks.datasets.fine_foods``), the ``review`` text and the
great/other ``score``; a stratified sample of the training split (seed 0) and of the test split. The teacher is
this version's default text predictor (MiniLM-L6, 6 layers); both students keep the first 2 of its pretrained
layers (``model.text.num_layers=2``). Every fit trains the same number of epochs with no time limit (on shared,
loaded cores a time limit buys a different number of steps from run to run); the distilled student's fit also
runs the teacher over its training rows. Each fit runs in its own fresh process.
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
WORK = ROOT / "benchmarks" / ".work" / "distillation"
SECTION = "## Knowledge distillation"
STUDENT = {"model.text.num_layers": 2}
EPOCHS, QUICK_EPOCHS = 4, 1
CASES = {  # name -> (hyperparameters, distilled from the teacher)
    "teacher (defaults, 6 layers)": ({}, False),
    "student alone (2 layers)": (STUDENT, False),
    "student distilled (2 layers, `teacher_predictor=`)": (STUDENT, True),
}
SINGLE_ROW_CALLS = 25


def _data(train_rows: int, test_rows: int) -> tuple[Any, Any]:
    from .datasets import fine_foods

    train, test = fine_foods()
    train, test = train[["review", "score"]], test[["review", "score"]]

    def sample(frame: Any, rows: int) -> Any:
        share = min(1.0, rows / len(frame))
        return frame.groupby("score", group_keys=False).sample(frac=share, random_state=0).reset_index(drop=True)

    return sample(train, train_rows), sample(test, test_rows)


def case_in_this_process(spec: dict[str, Any], out: str) -> None:
    """Fit one case (the teacher saved where the distilled case finds it); write scores, size and timings."""
    import json

    from automm.core import MultiModalPredictor

    started = time.perf_counter()
    train, test = _data(spec["train_rows"], spec["test_rows"])
    path = Path(spec["path"])
    predictor = MultiModalPredictor(label="score", path=path, hyperparameters=spec["hyperparameters"], verbosity=1)
    teacher = spec["teacher"]
    fit_s, _ = timed(lambda: predictor.fit(train, seed=0, teacher_predictor=teacher))
    scores = predictor.evaluate(test, metrics=["roc_auc", "accuracy"])
    rows = [test.iloc[[i]] for i in range(SINGLE_ROW_CALLS)]
    predictor.predict(rows[0])  # warm-up
    single = median(timed(lambda r=r: predictor.predict(r))[0] for r in rows)
    summary = predictor.fit_summary
    Path(out).write_text(json.dumps({
        **spec, "scores": scores, "fit_s": fit_s, "single_row_s": single,
        "parameters": sum(p.numel() for p in predictor.state.net.parameters()),
        "disk_bytes": sum(f.stat().st_size for f in path.rglob("*") if f.is_file()),
        "epochs": summary.get("epochs"), "steps": summary.get("steps"), "stopped_by": summary.get("stopped_by"),
        "distillation": summary.get("distillation"), "train_rows": len(train), "test_rows": len(test),
        "wall_s": time.perf_counter() - started}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="200 reviews, 1 epoch per fit; prints only")
    args = parser.parse_args(argv)
    train_rows, test_rows, epochs = (200, 200, QUICK_EPOCHS) if args.quick else (2000, 500, EPOCHS)
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, Any] = {**run_record("distillation", argv), "cases": {}}
    teacher_path = WORK / "teacher"
    for number, (name, (hyperparameters, distilled)) in enumerate(CASES.items()):
        spec = {"name": f"case{number}", "hyperparameters": {**hyperparameters, "optim.max_epochs": epochs},
                "train_rows": train_rows, "test_rows": test_rows, "time_limit": 3600,  # run_case's timeout only
                "path": str(teacher_path if number == 0 else WORK / f"case{number}"),
                "teacher": str(teacher_path) if distilled else None}
        results["cases"][name] = fit_cases.run_case("distillation", WORK, spec, "roc_auc")
    fit_cases.finish(results, started, render, WORK, args.quick)
    return 1 if any("error" in case for case in results["cases"].values()) else 0


def render(results: dict[str, Any]) -> str:
    from .report import digests, ratio, seconds

    cases = results["cases"]
    baseline = next(iter(cases.values()))
    ok = "error" not in baseline
    first = next((case for case in cases.values() if "error" not in case), {})
    lines = [SECTION, "",
             f"`{results['command']}` on {results['date']} (whole run {results['wall_s'] / 60:.0f} min; load average "
             f"{results['load_start']} at start, {results['load_end']} at end; 2 shared CPU cores, no GPU). Library "
             f"source digest: {digests(results['source_digest'])}.", "",
             f"Amazon fine-food reviews (R modeldata), the `review` text only, label `score` (great/other): "
             f"{first.get('train_rows', '?')} training rows sampled from the 4,000 (stratified, seed 0; small so the "
             f"run fits a CPU budget), {first.get('test_rows', '?')} test rows. Teacher: the default predictor "
             "(MiniLM-L6, 6 layers). Students: `model.text.num_layers=2` (the teacher backbone's first 2 pretrained "
             "layers). Every fit: the defaults except `optim.max_epochs="
             f"{first.get('hyperparameters', {}).get('optim.max_epochs', '?')}` (instead of 10, for this machine), "
             "no time limit, so all three train the same number of epochs; the distilled student's fit time also "
             "holds the teacher's pass over its training rows. Distillation uses the default `distiller.*` "
             "settings (temperature 5, soft-label weight 1, output-feature weight 0.1). One training seed; "
             "ratios are to the teacher.", "",
             "| Case | ROC-AUC | accuracy | parameters | size on disk | single-row predict (median of "
             f"{SINGLE_ROW_CALLS}) | fit (epochs, steps) |", "|---|---|---|---|---|---|---|"]
    for name, case in cases.items():
        if "error" in case:
            lines.append(f"| {name} | failed: {case['error']} | | | | | |")
            continue
        vs = {key: f" ({ratio(case[key], baseline[key])})" if ok else "" for key in
              ("parameters", "disk_bytes", "single_row_s", "fit_s")}
        lines.append(
            f"| {name} | **{case['scores']['roc_auc']:.4f}** | {case['scores']['accuracy']:.4f} | "
            f"{case['parameters'] / 1e6:.1f} M{vs['parameters']} | "
            f"{case['disk_bytes'] / 1e6:.0f} MB{vs['disk_bytes']} | "
            f"{seconds(case['single_row_s'])}{vs['single_row_s']} | {case['fit_s']:.0f} s{vs['fit_s']} "
            f"({case['epochs']}, {case['steps']}) |")
    names = list(cases)
    alone, distilled = cases[names[1]], cases[names[2]]
    if "error" not in alone and "error" not in distilled:
        gain = distilled["scores"]["roc_auc"] - alone["scores"]["roc_auc"]
        lines += ["", f"Distilled student − student alone: ROC-AUC **{gain:+.4f}**, accuracy "
                  f"**{distilled['scores']['accuracy'] - alone['scores']['accuracy']:+.4f}** (one seed, "
                  f"{distilled['test_rows']} test rows: differences under ~0.01 are within noise). The two students "
                  "have the same network, so their differences in single-row latency and training time are the "
                  "shared cores' contention (see the load averages), not the model."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
