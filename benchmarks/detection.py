"""Object detection (automm-detect) on composited images: detector choice, a 15-minute default, predict throughput.

    python -m benchmarks.detection            # full run (~40 min on 2 quiet cores, 54 at load 4); writes BENCHMARKS.md
    python -m benchmarks.detection --quick    # tiny data, 30 s fits; a smoke check; prints only

No annotated detection set loads offline, so the data is **composited**: Fashion-MNIST items (upscaled,
coloured, pasted with a hard mask) on random crops of scikit-image photos, with exact boxes
(``automm.detect.testing.composite``). Train, validation and test images come from different seeds.

Parts, each fit in a fresh process (so ``ru_maxrss`` is that fit's own peak):

1. the ``medium_quality`` preset with each torchvision detector (FCOS, RetinaNet, Faster R-CNN) under the same
   ``time_limit``; the winner is the one with the highest test mAP per training minute;
2. the winner (the preset's Faster R-CNN unless part 1 says otherwise) at ``time_limit=900``;
3. ``predict`` on the test set vs the bare forward of the same network on batches collated beforehand
   (``processors.collate`` + ``net(batch)`` under ``torch.inference_mode()``), interleaved, median of 3;
4. YOLOX-s through the mmdet backend, run by the Python in ``$AUTOMM_MMDET_PYTHON`` when it imports mmdet.

Work files (images, COCO JSON, predictors, logs) go to ``benchmarks/.work/detection``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from . import fit_cases
from .detection_report import ARCHITECTURES, IMAGE_SIZE, OBJECT_SIZE, render
from .fit_cases import composited_splits, load_average, peak_rss, predict_vs_bare, publish, source_digest, timed

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work" / "detection"
# A Python whose environment has mmcv + mmdet (mmcv has no wheel for current torch; see README.md).
MMDET_PYTHON = Path(os.environ.get("AUTOMM_MMDET_PYTHON", "venv-mmdet/bin/python"))
YOLOX_S = "yolox_s_8xb8-300e_coco"


@dataclass(frozen=True)
class Sizes:
    """Everything that changes between a full run and ``--quick``."""

    train: int  # composited images per split
    val: int
    test: int
    compare_time_limit: float  # each detector of part 1 (and YOLOX-s)
    long_time_limit: float  # part 2
    repeats: int  # predict vs bare forward
    classes: tuple[int, ...] = tuple(range(10))  # Fashion-MNIST classes used
    max_epochs: int | None = None  # a cap for quick runs, else the preset's


FULL = Sizes(train=400, val=80, test=100, compare_time_limit=240, long_time_limit=900, repeats=3)
QUICK = Sizes(train=24, val=8, test=16, compare_time_limit=30, long_time_limit=30, repeats=3, max_epochs=2)


# ---------------------------------------------------------------------------------------------- data
def make_data(sizes: Sizes) -> dict[str, str]:
    """Composited train / val / test splits (COCO JSON paths), regenerated each run."""
    from automm.detect.testing.composite import make_composited_detection

    counts = {"train": sizes.train, "val": sizes.val, "test": sizes.test}
    return composited_splits(make_composited_detection, WORK / "data", counts, min_objects=1, max_objects=4,
                             image_size=(IMAGE_SIZE, IMAGE_SIZE), object_size=OBJECT_SIZE, classes=list(sizes.classes))


def data_summary(paths: dict[str, str]) -> dict[str, Any]:
    """Images and boxes per split, and the class names."""
    found: dict[str, Any] = {}
    for name, path in paths.items():
        coco = json.loads(Path(path).read_text())
        found[name] = {"images": len(coco["images"]), "boxes": len(coco["annotations"])}
        found["classes"] = [c["name"] for c in coco["categories"]]
    return found


# ---------------------------------------------------------------------------------------------- one fit (child)
def throughput(predictor: Any, test_json: str, repeats: int) -> dict[str, Any]:
    """``predict(test_json)`` vs the bare forward (see ``fit_cases.predict_vs_bare``), with the boxes each returns."""
    from automm.detect.testing.composite import coco_to_dataframe

    rows = coco_to_dataframe(test_json)[predictor.state.feature_columns]
    found = predict_vs_bare(predictor, test_json, rows, repeats)
    found["boxes"] = {"predict": int(sum(len(b) for b in found.pop("predicted")["bboxes"])),
                      "bare": int(sum(len(d["boxes"]) for d in found.pop("bare")))}
    return found


def case_in_this_process(spec: dict[str, Any], out: str) -> None:
    """Fit, evaluate, predict (and, if asked, time predict vs bare); write the results as JSON to ``out``."""
    import torch

    from automm.core import MultiModalPredictor

    started, load_start = time.perf_counter(), load_average()
    data, path = spec["data"], WORK / "predictors" / spec["name"]
    shutil.rmtree(path, ignore_errors=True)
    predictor = MultiModalPredictor(problem_type="object_detection", presets="medium_quality", path=path,
                                    hyperparameters=spec["hyperparameters"])
    fit_s, _ = timed(lambda: predictor.fit(data["train"], tuning_data=data["val"], time_limit=spec["time_limit"]))
    result: dict[str, Any] = {**spec, "fit_s": fit_s, "fit_summary": predictor.fit_summary, "rss_after_fit": peak_rss(),
                              "batch_size": predictor.state.config.optim.batch_size,
                              "torch_threads": torch.get_num_threads(), "python": sys.executable}
    result["evaluate_s"], result["scores"] = timed(lambda: predictor.evaluate(data["test"]))
    result["predict_s"], predictions = timed(lambda: predictor.predict(data["test"]))
    boxes = [b["bbox"] for row in predictions["bboxes"] for b in row]  # score >= task.min_score (0.05)
    degenerate = sum(x2 - x1 < 1 or y2 - y1 < 1 for x1, y1, x2, y2 in boxes)
    result["boxes"] = {"predicted": len(boxes), "degenerate": int(degenerate)}
    result["rss_after_predict"] = peak_rss()
    if spec.get("throughput"):
        result["throughput"] = throughput(predictor, data["test"], spec["repeats"])
        result["rss_after_throughput"] = peak_rss()
    result["load_start"], result["load_end"] = load_start, load_average()
    result["wall_s"] = time.perf_counter() - started
    Path(out).write_text(json.dumps(result, indent=1, default=str))


# ---------------------------------------------------------------------------------------------- parent
def run_case(spec: dict[str, Any], python: str = sys.executable, env: dict[str, str] | None = None) -> dict[str, Any]:
    return fit_cases.run_case("detection", WORK, spec, "map", python, env)


def spec_for(name: str, architecture: str, time_limit: float, sizes: Sizes, data: dict[str, str],
             backend: str = "torchvision", throughput_part: bool = False) -> dict[str, Any]:
    hyperparameters: dict[str, Any] = {"task.backend": backend, "task.architecture": architecture,
                                       "task.image_size": IMAGE_SIZE}
    if sizes.max_epochs:
        hyperparameters["optim.max_epochs"] = sizes.max_epochs
    return {"name": name, "architecture": architecture, "backend": backend, "hyperparameters": hyperparameters,
            "time_limit": time_limit, "data": data, "throughput": throughput_part, "repeats": sizes.repeats}


def map_per_minute(case: dict[str, Any]) -> float:
    """Test mAP per minute of fit (``fit_summary["seconds"]``: training, validation and the soup)."""
    return case["scores"]["map"] / (case["fit_summary"]["seconds"] / 60)


def mmdet_case(sizes: Sizes, data: dict[str, str]) -> dict[str, Any]:
    """YOLOX-s through the mmdet backend in the mmdet venv, or the reason it was skipped."""
    spec = spec_for("yolox_s_mmdet", YOLOX_S, sizes.compare_time_limit, sizes, data, backend="mmdet")
    detect_src = ROOT / "packages" / "automm-detect" / "src"
    if not (detect_src / "automm" / "detect" / "backends" / "mmdet_backend.py").is_file():
        return {**spec, "skipped": "automm.detect.backends.mmdet_backend does not exist"}
    # That environment may have automm-core but not automm-detect: its source folder goes on PYTHONPATH.
    env = {"PYTHONPATH": os.pathsep.join([str(detect_src), str(ROOT)])}
    probe = subprocess.run([str(MMDET_PYTHON), "-c", "import mmdet, automm.detect.backends.mmdet_backend"],
                           capture_output=True, text=True, env={**os.environ, **env}) if MMDET_PYTHON.exists() else None
    if probe is None or probe.returncode != 0:
        reason = probe.stderr.strip().splitlines()[-1] if probe else f"{MMDET_PYTHON} does not exist"
        return {**spec, "skipped": reason}
    return run_case(spec, str(MMDET_PYTHON), env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny data and 30 s fits; prints only")
    parser.add_argument("--skip-mmdet", action="store_true", help="leave out YOLOX-s (mmdet)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, Any] = {**fit_cases.run_record("detection", argv), "sizes": asdict(sizes),
                               "cpus": os.cpu_count()}
    data = make_data(sizes)
    results["data"] = data_summary(data)
    compare = {a: run_case(spec_for(a, a, sizes.compare_time_limit, sizes, data)) for a in ARCHITECTURES}
    results["compare"] = compare
    done = {a: c for a, c in compare.items() if "error" not in c}
    winner = max(done, key=lambda a: map_per_minute(done[a])) if done else "faster_rcnn"
    results["winner"] = winner if done else None
    results["mmdet"] = None if args.skip_mmdet else mmdet_case(sizes, data)
    results["long"] = run_case(spec_for(f"{winner}_long", winner, sizes.long_time_limit, sizes, data,
                                        throughput_part=True))
    results["load_end"] = load_average()
    results["source_digest"].append(source_digest())  # the library may be edited while this runs
    results["wall_s"] = time.perf_counter() - started
    publish(results, render(results), WORK, args.quick)
    failed = [c for c in [*compare.values(), results["long"]] if "error" in c]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
