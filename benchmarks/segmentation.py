"""Semantic segmentation (automm-segment) on composited images: decoder choice, the SAM path's cost, throughput.

    python -m benchmarks.segmentation            # full run (~25 min on 2 quiet cores); writes BENCHMARKS.md
    python -m benchmarks.segmentation --quick    # tiny data, 30 s fits; a smoke check; prints only

No annotated segmentation set loads offline, so the data is **composited**: Fashion-MNIST items (upscaled,
coloured, pasted with a hard mask) on random crops of scikit-image photos; the masks are exact 0/255 maps of
every pasted item (``automm.segment.testing.composite``). Train, validation and test come from different seeds.

Parts, each fit in a fresh process (so ``ru_maxrss`` is that fit's own peak):

1. the ``medium_quality`` preset with an FPN and a U-Net decoder under the same ``time_limit``; the default
   (U-Net) should be the one with more test IoU per training minute;
2. the SAM path (``high_quality``'s recipe: LoRA on the encoder's attention, mask decoder trained) on a
   **randomly initialised** ViT-B saved in the official format, at SAM's 1024 px: its cost per step and per
   predicted image (its IoU says nothing about pretrained SAM);
3. ``predict`` vs the bare forward of the FPN on batches collated beforehand, interleaved, median of 3.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from . import fit_cases
from .fit_cases import composited_splits, load_average, peak_rss, predict_vs_bare, publish, source_digest, timed
from .report import digests

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work" / "segmentation"
SECTION = "## Semantic segmentation (composited)"
DECODERS = {"fpn": "FPN", "unet": "U-Net"}
IMAGE_SIZE = 256
OBJECT_SIZE = (48, 128)


@dataclass(frozen=True)
class Sizes:
    """Everything that changes between a full run and ``--quick``."""

    train: int
    val: int
    test: int
    compare_time_limit: float
    sam_time_limit: float
    sam_images: int  # train / val / test images of the SAM case (each step is slow)
    repeats: int
    max_epochs: int | None = None


FULL = Sizes(train=300, val=60, test=100, compare_time_limit=300, sam_time_limit=300, sam_images=16, repeats=3)
QUICK = Sizes(train=24, val=8, test=16, compare_time_limit=30, sam_time_limit=30, sam_images=4, repeats=1,
              max_epochs=2)


def make_data(sizes: Sizes) -> dict[str, str]:
    """Composited binary train / val / test splits (CSV paths), regenerated each run."""
    from automm.segment.testing.composite import make_composited_segmentation

    counts = {"train": sizes.train, "val": sizes.val, "test": sizes.test}
    return composited_splits(make_composited_segmentation, WORK / "data", counts, min_objects=1, max_objects=3,
                             image_size=(IMAGE_SIZE, IMAGE_SIZE), object_size=OBJECT_SIZE)


def sam_checkpoint() -> str:
    """A randomly initialised SAM ViT-B state dict in the official file format (no SAM weights exist offline)."""
    import segment_anything
    import torch

    path = WORK / "sam_vit_b_random.pth"
    if not path.exists():
        torch.manual_seed(0)
        torch.save(segment_anything.build_sam_vit_b(checkpoint=None).state_dict(), path)
    return str(path)


# ---------------------------------------------------------------------------------------------- one fit (child)
def throughput(predictor: Any, test_csv: str, repeats: int) -> dict[str, Any]:
    """``predict(test_csv)`` vs the bare forward (see ``fit_cases.predict_vs_bare``)."""
    from automm.segment.ingest import read_segmentation_data

    rows = read_segmentation_data(test_csv, "test")[predictor.state.feature_columns]
    found = predict_vs_bare(predictor, test_csv, rows, repeats)
    found["masks"] = {"predict": len(found.pop("predicted")), "bare": len(found.pop("bare"))}
    return found


def case_in_this_process(spec: dict[str, Any], out: str) -> None:
    """Fit, evaluate, predict (and, if asked, time predict vs bare); write the results as JSON to ``out``."""
    import torch

    from automm.core import MultiModalPredictor

    started, load_start = time.perf_counter(), load_average()
    data, path = spec["data"], WORK / "predictors" / spec["name"]
    shutil.rmtree(path, ignore_errors=True)
    predictor = MultiModalPredictor(problem_type="semantic_segmentation", label="label", presets=spec["presets"],
                                    path=path, hyperparameters=spec["hyperparameters"])
    fit_s, _ = timed(lambda: predictor.fit(data["train"], tuning_data=data["val"], time_limit=spec["time_limit"]))
    result: dict[str, Any] = {**spec, "fit_s": fit_s, "fit_summary": predictor.fit_summary,
                              "rss_after_fit": peak_rss(), "batch_size": predictor.state.config.optim.batch_size,
                              "torch_threads": torch.get_num_threads()}
    result["evaluate_s"], result["scores"] = timed(lambda: predictor.evaluate(data["test"]))
    result["predict_s"], masks = timed(lambda: predictor.predict(data["test"]))
    result["images_predicted"] = len(masks)
    result["rss_after_predict"] = peak_rss()
    if spec.get("throughput"):
        result["throughput"] = throughput(predictor, data["test"], spec["repeats"])
    result["load_start"], result["load_end"] = load_start, load_average()
    result["wall_s"] = time.perf_counter() - started
    Path(out).write_text(json.dumps(result, indent=1, default=str))


# ---------------------------------------------------------------------------------------------- parent
def run_case(spec: dict[str, Any]) -> dict[str, Any]:
    return fit_cases.run_case("segmentation", WORK, spec, "iou")


def spec_for(name: str, sizes: Sizes, data: dict[str, str], presets: str, time_limit: float,
             hyperparameters: dict[str, Any], throughput_part: bool = False) -> dict[str, Any]:
    if sizes.max_epochs:
        hyperparameters = {**hyperparameters, "optim.max_epochs": sizes.max_epochs}
    return {"name": name, "presets": presets, "hyperparameters": hyperparameters, "time_limit": time_limit,
            "data": data, "throughput": throughput_part, "repeats": sizes.repeats}


def sam_data(data: dict[str, str], count: int) -> dict[str, str]:
    """The first ``count`` rows of each split, as CSVs beside the originals (paths made absolute)."""
    from automm.segment.ingest import read_segmentation_data

    out = {}
    for name, path in data.items():
        small = Path(path).with_name(f"{name}_sam.csv")
        read_segmentation_data(path, name).head(count).to_csv(small, index=False)
        out[name] = str(small)
    return out


def iou_per_minute(case: dict[str, Any]) -> float:
    return case["scores"]["iou"] / (case["fit_summary"]["seconds"] / 60)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny data and 30 s fits; prints only")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, Any] = {**fit_cases.run_record("segmentation", argv), "sizes": asdict(sizes)}
    data = make_data(sizes)
    size = {"task.image_size": IMAGE_SIZE}
    results["compare"] = {
        decoder: run_case(spec_for(decoder, sizes, data, "medium_quality", sizes.compare_time_limit,
                                   {**size, "task.architecture": decoder}, throughput_part=decoder == "fpn"))
        for decoder in ("fpn", "unet")}
    results["sam"] = run_case(spec_for("sam_vit_b_random", sizes, sam_data(data, sizes.sam_images), "high_quality",
                                       sizes.sam_time_limit, {"model.sam.checkpoint_name": sam_checkpoint(),
                                                              "optim.batch_size": 2, "env.eval_batch_size": 2}))
    results["load_end"] = load_average()
    results["source_digest"].append(source_digest())
    results["wall_s"] = time.perf_counter() - started
    publish(results, render(results), WORK, args.quick)
    cases = [*results["compare"].values(), results["sam"]]
    return 1 if any("error" in c for c in cases) else 0


# ---------------------------------------------------------------------------------------------- report
def _row(name: str, case: dict[str, Any]) -> str:
    if "error" in case:
        return f"| {name} | failed: {case['error']} | | | | | | |"
    summary, scores = case["fit_summary"], case["scores"]
    steps, seconds = summary.get("steps", 0), summary["seconds"]
    per_step = seconds / steps if steps else float("nan")
    predict_rate = case["images_predicted"] / case["predict_s"]
    return (f"| {name} | {scores['iou']:.3f} / {scores['ber']:.3f} / {scores['sm']:.3f} | {iou_per_minute(case):.4f} | "
            f"{summary.get('epochs', '?')} ({steps}) | {seconds:.0f} ({case['time_limit']:.0f}) | {per_step:.2f} | "
            f"{predict_rate:.2f} | {case['rss_after_fit'] / 1e9:.2f} GB / {case['rss_after_predict'] / 1e9:.2f} GB |")


def render(results: dict[str, Any]) -> str:
    from automm.segment.config import SegmentConfig

    sizes = results["sizes"]
    lines = [SECTION, "",
             f"`{results['command']}` on {results['date']} (whole run {results['wall_s'] / 60:.0f} min; load average "
             f"{results['load_start']} at start, {results['load_end']} at end; 2 CPU cores, no GPU). Library source "
             f"digest: {digests(results['source_digest'])}.", "",
             f"**The data is composited**, not a real segmentation set: Fashion-MNIST items upscaled to "
             f"{OBJECT_SIZE[0]}–{OBJECT_SIZE[1]} px, coloured and pasted with exact masks onto random crops of "
             f"scikit-image photos, 1–3 per {IMAGE_SIZE}×{IMAGE_SIZE} image, binary 0/255 masks "
             f"(`automm.segment.testing.composite`). Train {sizes['train']}, validation {sizes['val']}, test "
             f"{sizes['test']} images (different seeds). Each case runs in a fresh process.", "",
             "| Case | Test IoU / BER / S-measure | **IoU per training minute** | Epochs (steps) | Fit s (limit) | "
             "s per step | Predict images/s | Peak RSS after fit / predict |", "|---|---|---|---|---|---|---|---|"]
    compare = results["compare"]
    for name, case in compare.items():
        lines.append(_row(f"`medium_quality`, {DECODERS[name]} decoder, {IMAGE_SIZE} px", case))
    sam = results["sam"]
    lines.append(_row(f"SAM ViT-B, **random init**, LoRA, 1024 px, {sizes['sam_images']} images per split", sam))
    done = {n: c for n, c in compare.items() if "error" not in c}
    if done:
        best = max(done, key=lambda n: iou_per_minute(done[n]))
        lines += ["", f"**{DECODERS[best]} gives more test IoU per training minute** ("
                  + ", ".join(f"{DECODERS[n]} {iou_per_minute(c):.4f}" for n, c in done.items())
                  + f"); `medium_quality` uses {DECODERS[SegmentConfig().architecture]}. The SAM row measures cost "
                  "only: its weights are random (no SAM checkpoint is reachable offline), so its IoU says nothing "
                  "about pretrained SAM."]
    fpn = compare.get("fpn", {})
    if "throughput" in fpn:
        t = fpn["throughput"]["median_s"]
        lines += ["", f"**Predict vs the bare forward** (FPN, {fpn['throughput']['images']} test images, median of "
                  f"{sizes['repeats']}): predict {t['predict']:.2f} s, bare forward on batches collated beforehand "
                  f"{t['bare']:.2f} s (predict ÷ bare = **{t['predict'] / t['bare']:.2f}x**), collate + bare forward "
                  f"{t['collate_bare']:.2f} s (predict ÷ that = {t['predict'] / t['collate_bare']:.2f}x). Predict "
                  "adds the crop, resize to each image's size and sigmoid per row."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
