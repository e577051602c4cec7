"""The input size chosen from the training images vs the preset's fixed size, at the same ``time_limit``.

    python -m benchmarks.vision_size                          # 2 image sizes x detect/segment x before/after
    python -m benchmarks.vision_size --seeds 0 1 --time-limit 120 --report /path/to/section.md
    python -m benchmarks.vision_size --quick                  # tiny data, 20 s fits; a smoke check

"Before" is the preset's fixed input size (``task.image_size`` set to it: 416 px for the detector, 384 px for the
segmenter, what a fit letterboxed every image to before the choice existed); "after" leaves ``task.image_size``
out, so the fit chooses it from the training images (``automm.core.vision.input_size``). Both run the default
``medium_quality`` preset (Faster R-CNN / U-Net on EfficientNet-Lite0) under the same ``time_limit``, on
composited sets whose images are all 256 x 256 or all 320 x 320 px (``automm.*.testing.composite``); train,
validation and test come from different seeds. Each fit runs in a fresh process; before and after alternate, so
a change of machine load hits both. The section is printed and, with ``--report``, written to a file (never to
BENCHMARKS.md). Work files go to ``benchmarks/.work/vision_size``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from statistics import mean, median, pstdev
from typing import Any

from . import fit_cases
from .fit_cases import composited_splits, load_average, run_record, source_digest, timed
from .report import digests

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work" / "vision_size"
TASKS = {  # task -> (problem type, label, headline metric, preset input size, object sizes of the composite)
    "detection": ("object_detection", None, "map", 416, (32, 96)),
    "segmentation": ("semantic_segmentation", "label", "iou", 384, (48, 128)),
}
IMAGE_SIZES = (256, 320)


@dataclass(frozen=True)
class Sizes:
    """Everything that changes between a full run and ``--quick``."""

    train: int
    val: int
    test: int
    max_epochs: int | None = None


FULL = Sizes(train=160, val=32, test=48)
QUICK = Sizes(train=16, val=8, test=8, max_epochs=1)


def make_data(task: str, side: int, sizes: Sizes) -> dict[str, str]:
    """Composited train / val / test splits of ``side`` x ``side`` px images (COCO JSON or CSV paths)."""
    from automm.detect.testing.composite import make_composited_detection
    from automm.segment.testing.composite import make_composited_segmentation

    write = make_composited_detection if task == "detection" else make_composited_segmentation
    counts = {"train": sizes.train, "val": sizes.val, "test": sizes.test}
    return composited_splits(write, WORK / "data" / f"{task}_{side}", counts, min_objects=1, max_objects=3,
                             image_size=(side, side), object_size=TASKS[task][4])


# ---------------------------------------------------------------------------------------------- one fit (child)
def case_in_this_process(spec: dict[str, Any], out: str) -> None:
    """Fit the default preset, evaluate on the test split; write the results as JSON to ``out``."""
    from automm.core import MultiModalPredictor

    started, load_start = time.perf_counter(), load_average()
    problem_type, label, _, _, _ = TASKS[spec["task"]]
    data, path = spec["data"], WORK / "predictors" / spec["name"]
    shutil.rmtree(path, ignore_errors=True)
    predictor = MultiModalPredictor(problem_type=problem_type, label=label, presets="medium_quality", path=path,
                                    hyperparameters=spec["hyperparameters"])
    fit_s, _ = timed(lambda: predictor.fit(data["train"], tuning_data=data["val"], time_limit=spec["time_limit"],
                                           seed=spec["seed"]))
    result: dict[str, Any] = {**spec, "fit_s": fit_s, "fit_summary": dict(predictor.fit_summary),
                              "input_size": predictor.state.processors.image_size}
    result["evaluate_s"], result["scores"] = timed(lambda: predictor.evaluate(data["test"]))
    result["load_start"], result["load_end"] = load_start, load_average()
    result["wall_s"] = time.perf_counter() - started
    Path(out).write_text(json.dumps(result, indent=1, default=str))


def step_seconds(task: str, data: dict[str, str], repeats: int) -> dict[str, Any]:
    """Median seconds of one training step (forward + backward of a batch of ``optim.batch_size`` training rows,
    collated beforehand) at the preset's input size and at the chosen one, interleaved ``repeats`` times after a
    warm-up step of each; the fits' step counts depend on the machine's load, this ratio much less."""
    from automm.detect.presets import PRESETS as DETECT_PRESETS
    from automm.detect.task import DetectionTask
    from automm.segment.presets import PRESETS as SEGMENT_PRESETS
    from automm.segment.task import SegmentationTask

    problem_type, label, _, preset_size, _ = TASKS[task]
    task_type, presets = ((DetectionTask, DETECT_PRESETS) if task == "detection" else (SegmentationTask,
                                                                                       SEGMENT_PRESETS))
    table = task_type.read_data(data["train"], "train_data")
    labels = table[[label or task_type.default_label]]
    fitted = task_type.fit(labels, problem_type)
    variants = {}
    for variant, overrides in (("before", {"task.image_size": preset_size}), ("after", {})):
        configured, config = fitted.configure(presets["medium_quality"].override(overrides), overrides)
        built = configured.build(table[["image"]], {}, config)
        rows = table.head(config.optim.batch_size)
        batch = built.processors.collate(rows[["image"]], built.task.encode(labels.loc[rows.index]), train=True)
        variants[variant] = (built.net.train(), built.task.loss(config.optim, config.task), batch,
                             built.processors.image_size)
    times: dict[str, list[float]] = {name: [] for name in variants}
    for repeat in range(repeats + 1):
        for name, (net, loss, batch, _) in variants.items():
            started = time.perf_counter()
            loss(net(batch), batch.target).backward()
            net.zero_grad(set_to_none=True)
            if repeat:  # the first is a warm-up
                times[name].append(time.perf_counter() - started)
    return {name: {"input_size": variants[name][3], "median_s": median(t), "all_s": t}
            for name, t in times.items()}


# ---------------------------------------------------------------------------------------------- parent
def spec_for(task: str, side: int, variant: str, seed: int, time_limit: float, sizes: Sizes,
             data: dict[str, str]) -> dict[str, Any]:
    """``variant`` "before" fixes the preset's input size; "after" lets the fit choose it."""
    hyperparameters: dict[str, Any] = {"task.image_size": TASKS[task][3]} if variant == "before" else {}
    if sizes.max_epochs:
        hyperparameters["optim.max_epochs"] = sizes.max_epochs
    return {"name": f"{task}_{side}_{variant}_seed{seed}", "task": task, "side": side, "variant": variant,
            "seed": seed, "hyperparameters": hyperparameters, "time_limit": time_limit, "data": data}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny data and 20 s fits")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds, every fit (default 120)")
    parser.add_argument("--tasks", nargs="+", choices=list(TASKS), default=list(TASKS))
    parser.add_argument("--parts", nargs="+", choices=["fits", "steps"], default=["fits", "steps"],
                        help="fits: before/after at the same time_limit; steps: seconds per training step")
    parser.add_argument("--repeats", type=int, default=3, help="timed training steps per variant (steps part)")
    parser.add_argument("--report", type=Path, help="also write the markdown section to this file")
    args = parser.parse_args(argv)
    sizes, time_limit = (QUICK, 20.0) if args.quick else (FULL, args.time_limit)
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, Any] = {**run_record("vision_size", argv), "sizes": asdict(sizes), "time_limit": time_limit,
                               "seeds": args.seeds, "cases": [], "steps": []}
    for task in args.tasks:
        for side in IMAGE_SIZES:
            data = make_data(task, side, sizes)
            for seed in args.seeds if "fits" in args.parts else []:
                for variant in ("before", "after"):  # alternating, so load changes hit both
                    spec = spec_for(task, side, variant, seed, time_limit, sizes, data)
                    results["cases"].append(fit_cases.run_case("vision_size", WORK, spec, TASKS[task][2]))
            if "steps" in args.parts:
                print(f"{task} {side} px: seconds per training step ... (load average {load_average()})", flush=True)
                results["steps"].append({"task": task, "side": side,
                                         **step_seconds(task, data, 1 if args.quick else args.repeats)})
    results["load_end"] = load_average()
    results["source_digest"].append(source_digest())
    results["wall_s"] = time.perf_counter() - started
    (WORK / "results.json").write_text(json.dumps(results, indent=1, default=str))
    section = render(results)
    print(section)
    if args.report:
        args.report.write_text(section)
    return 1 if any("error" in case for case in results["cases"]) else 0


# ---------------------------------------------------------------------------------------------- report
def _spread(values: list[float], digits: int) -> str:
    """Mean, with ± the population standard deviation over seeds when there are several."""
    text = f"{mean(values):.{digits}f}"
    return text + (f" ± {pstdev(values):.{digits}f}" if len(values) > 1 else "")


def _cell(cases: list[dict[str, Any]], metric: str) -> dict[str, str]:
    done = [case for case in cases if "error" not in case]
    if not done:
        return {key: "failed" for key in ("size", "steps", "score", "seconds")}
    return {"size": "/".join(sorted({str(case["input_size"]) for case in done})),
            "steps": _spread([case["fit_summary"]["steps"] for case in done], 0),
            "score": _spread([case["scores"][metric] for case in done], 3),
            "seconds": _spread([case["fit_s"] for case in done], 0)}


def render(results: dict[str, Any]) -> str:
    sizes, seeds = results["sizes"], results["seeds"]
    seed_text = (f"seeds {', '.join(map(str, seeds))} (mean ± spread over seeds)" if len(seeds) > 1
                 else f"one seed ({seeds[0]})")
    lines = ["## Input size chosen from the training images (detection, segmentation)", "",
             f"`{results['command']}` on {results['date']} (whole run {results['wall_s'] / 60:.0f} min; load average "
             f"{results['load_start']} at start, {results['load_end']} at end, shared with other work; 2 CPU cores, "
             f"no GPU). Library source digest: {digests(results['source_digest'])}.", "",
             "Default `medium_quality` (Faster R-CNN / U-Net on EfficientNet-Lite0), "
             f"`time_limit={results['time_limit']:.0f}` for every fit, {seed_text}. **Before**: the preset's fixed "
             "input (`task.image_size` 416 / 384, every image letterboxed up to it). **After**: `task.image_size` "
             "left out, the size chosen from the training images. Composited data (Fashion-MNIST items on scikit-image "
             f"photos): train {sizes['train']}, validation {sizes['val']}, test {sizes['test']} images of one size.",
             "", "| Task | Images | Input px before → after | Training steps before → after | Test score before → "
             "after | Fit s before / after |", "|---|---|---|---|---|---|"]
    for task, (_, _, metric, _, _) in TASKS.items():
        for side in IMAGE_SIZES:
            group = [c for c in results["cases"] if c["task"] == task and c["side"] == side]
            if not group:
                continue
            before, after = (_cell([c for c in group if c["variant"] == v], metric) for v in ("before", "after"))
            lines.append(f"| {task} | {side}×{side} | {before['size']} → {after['size']} | {before['steps']} → "
                         f"{after['steps']} | {metric} {before['score']} → {after['score']} | {before['seconds']} / "
                         f"{after['seconds']} |")
    return "\n".join(lines + _step_lines(results["steps"])) + "\n"


def _step_lines(steps: list[dict[str, Any]]) -> list[str]:
    """The seconds-per-step table (empty without that part)."""
    if not steps:
        return []
    lines = ["", "Seconds per training step of the same models (forward + backward of one batch of the preset's "
             "`optim.batch_size`, 8, collated beforehand; median of the timed repeats after a warm-up, before and "
             "after interleaved):", "", "| Task | Images | Input px before → after | s per step before → after | "
             "Steps per minute, after ÷ before |", "|---|---|---|---|---|"]
    for row in steps:
        before, after = row["before"], row["after"]
        lines.append(f"| {row['task']} | {row['side']}×{row['side']} | {before['input_size']} → "
                     f"{after['input_size']} | {before['median_s']:.2f} → {after['median_s']:.2f} | "
                     f"{before['median_s'] / after['median_s']:.2f}x |")
    return lines


if __name__ == "__main__":
    sys.exit(main())
