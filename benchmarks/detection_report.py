"""The Markdown section of ``benchmarks.detection``: detector comparison, the 15-minute default, predict vs bare."""

from __future__ import annotations

from typing import Any

from .report import digests

SECTION = "## Object detection (composited)"
ARCHITECTURES = ("fcos", "retinanet", "faster_rcnn")
NAMES = {"fcos": "FCOS", "retinanet": "RetinaNet", "faster_rcnn": "Faster R-CNN", "yolox_s_mmdet": "YOLOX-s (mmdet)"}
IMAGE_SIZE = 320  # the composited images are 320 x 320, so task.image_size=320 letterboxes without resizing
OBJECT_SIZE = (32, 96)  # an object's side in px before it is cropped to its mask
AIM_RATIO = 1.3  # from the brief: predict <= 1.3x the bare forward


def _gb(value: float) -> str:
    return f"{value / 1e9:.2f} GB"


def _budget(seconds: float) -> str:
    return f"{seconds / 60:.0f}-minute" if seconds >= 60 else f"{seconds:.0f}-second"


def _train_rate(case: dict[str, Any]) -> float:
    """Training images per second: steps x batch size / fit seconds (validation and soup included)."""
    summary = case["fit_summary"]
    return summary["steps"] * case["batch_size"] / summary["seconds"]


def _boxes(case: dict[str, Any]) -> str:
    b = case["boxes"]
    return f"{b['predicted']:,} ({b['degenerate']:,})"


def _per_minute(case: dict[str, Any]) -> float:
    return case["scores"]["map"] / (case["fit_summary"]["seconds"] / 60)


def compare_table(cases: list[dict[str, Any]]) -> list[str]:
    lines = ["| Detector | Test mAP | mAP@50 | mAP@75 | mAR@100 | Epochs (steps) | Fit s (limit) | Stopped by | "
             "Train images/s | **mAP per training minute** | Test boxes predicted (< 1 px wide or high) | "
             "Peak RSS after fit / predict |", "|---" * 12 + "|"]
    for case in cases:
        name = NAMES.get(case["name"], case["name"])
        if "error" in case or "skipped" in case:
            why = f"failed: `{case['error']}`" if "error" in case else f"skipped: `{case['skipped']}`"
            lines.append(f"| {name} | {why} |" + " |" * 10)
            continue
        s, f = case["scores"], case["fit_summary"]
        stopped = f["stopped_by"] + ("; **kept the untrained weights**" if f.get("kept_pretrained") else "")
        lines.append(
            f"| {name} | {s['map']:.3f} | {s['map_50']:.3f} | {s['map_75']:.3f} | {s['mar_100']:.3f} | "
            f"{f['epochs']} ({f['steps']}) | {f['seconds']:.0f} ({case['time_limit']:.0f}) | {stopped} | "
            f"{_train_rate(case):.2f} | **{_per_minute(case):.4f}** | {_boxes(case)} | "
            f"{_gb(case['rss_after_fit'])} / {_gb(case['rss_after_predict'])} |")
    return lines


def verdict(results: dict[str, Any]) -> str:
    done = {a: c for a, c in results["compare"].items() if "error" not in c}
    if not done:
        return "**No torchvision detector finished**; see the logs."
    winner = results["winner"]
    best = _per_minute(done[winner])
    others = [f"{best / _per_minute(c):.2f}x {NAMES[a]}" if _per_minute(c) > 0 else f"{NAMES[a]} scored 0"
              for a, c in done.items() if a != winner]
    return (f"**{NAMES[winner]} wins by test mAP per training minute** ({best:.4f}; "
            + (", ".join(others) or "the only one that finished") + ").")


def collapsed(cases: list[dict[str, Any]]) -> str:
    """A warning for each detector whose predicted boxes are mostly under one pixel wide or high."""
    bad = [c for c in cases if "boxes" in c and c["boxes"]["degenerate"] * 2 > c["boxes"]["predicted"] > 0]
    return "".join(f" **{NAMES.get(c['name'], c['name'])}: {c['boxes']['degenerate']:,} of its "
                   f"{c['boxes']['predicted']:,} test boxes are under 1 px wide or high** — its box regression "
                   "collapsed, so its mAP is ~0 whatever its classification learned." for c in bad)


def long_table(case: dict[str, Any]) -> list[str]:
    if "error" in case:
        return [f"**Failed:** `{case['error']}` (log `{case['log']}`)"]
    s, f = case["scores"], case["fit_summary"]
    per_class = ", ".join(f"{k[4:]} {v:.2f}" for k, v in s.items() if k.startswith("map_") and k[4:] not in
                          ("50", "75", "small", "medium", "large", "per_class"))
    rows = [
        ("Test mAP / mAP@50 / mAP@75", f"**{s['map']:.3f}** / **{s['map_50']:.3f}** / {s['map_75']:.3f}"),
        ("mAP small / medium / large", f"{s['map_small']:.3f} / {s['map_medium']:.3f} / {s['map_large']:.3f}"),
        ("mAR@1 / @10 / @100", f"{s['mar_1']:.3f} / {s['mar_10']:.3f} / {s['mar_100']:.3f}"),
        ("mAP per class", per_class),
        ("Fit", f"time_limit {case['time_limit']:.0f} s → {f['seconds']:.0f} s in `fit` ({case['fit_s']:.0f} s wall); "
                f"{f['epochs']} epochs, {f['steps']} steps, stopped by {f['stopped_by']}; best validation mAP "
                f"{f['best_val_score']:.3f}; soup of {f['soup_size']}"
                + ("; **kept the untrained weights**" if f.get("kept_pretrained") else "")),
        ("Training images/s (steps × batch ÷ fit seconds)", f"{_train_rate(case):.2f}"),
        ("Test boxes predicted (score ≥ 0.05; < 1 px wide or high)", _boxes(case)),
        ("`evaluate` / `predict` on the test set", f"{case['evaluate_s']:.1f} s / {case['predict_s']:.1f} s"),
        ("Peak RSS (`ru_maxrss`) after fit / predict",
         f"{_gb(case['rss_after_fit'])} / {_gb(case['rss_after_predict'])}"),
        ("Load average (1 / 5 / 15 min) at start → end of this process", f"{case['load_start']} → {case['load_end']}"),
    ]
    return ["| Measure | Value |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]


def throughput_table(case: dict[str, Any]) -> list[str]:
    if "error" in case or "throughput" not in case:
        return ["Not measured (the fit above failed)."]
    t = case["throughput"]
    m, n = t["median_s"], t["images"]
    ratio, ratio_collate = m["predict"] / m["bare"], m["predict"] / m["collate_bare"]
    fastest = {k: min(v) for k, v in t["all_s"].items()}
    ratio_min = fastest["predict"] / fastest["bare"]
    met = [r <= AIM_RATIO for r in (ratio, ratio_min)]
    met = "yes" if all(met) else ("**no**" if not any(met) else "unclear (noisy: medians and minima disagree)")
    rows = [
        ("`predict(test.json)`", f"{m['predict']:.2f} s", f"{n / m['predict']:.1f}", "1.00x"),
        ("Bare forward on batches collated beforehand", f"{m['bare']:.2f} s", f"{n / m['bare']:.1f}",
         f"**{ratio:.2f}x**"),
        ("`processors.collate` + bare forward", f"{m['collate_bare']:.2f} s", f"{n / m['collate_bare']:.1f}",
         f"{ratio_collate:.2f}x"),
    ]
    return [f"{n} test images, batches of {t['batch_size']} (`env.eval_batch_size`), median of {t['repeats']} "
            f"interleaved repeats (all runs, s: " + "; ".join(f"{k} " + ", ".join(f"{v:.2f}" for v in vs)
                                                            for k, vs in t["all_s"].items()) + ").", "",
            "| Path | Time | Images/s | predict ÷ this |", "|---|---|---|---|", *(f"| {a} | {b} | {c} | {d} |"
                                                                                   for a, b, c, d in rows), "",
            f"predict ÷ bare = **{ratio:.2f}x** (ratio of the fastest repeats: {ratio_min:.2f}x; aim ≤ {AIM_RATIO}x: "
            f"{met}); predict ÷ (collate + bare) = {ratio_collate:.2f}x. Collating inside the timing adds "
            f"{m['collate_bare'] - m['bare']:+.2f} s to the bare forward, predict {m['predict'] - m['bare']:+.2f} s"
            + (" — the repeats spread by more than 20 %, so under this load these differences are noise, not the "
               "cost of decoding and letterboxing" if max(map(_spread, t["all_s"].values())) > 0.2 else "")
            + f". Boxes returned (score ≥ 0.05): predict {t['boxes']['predict']}, bare forward {t['boxes']['bare']}."]


def _spread(values: list[float]) -> float:
    return (max(values) - min(values)) / min(values)


def caution(results: dict[str, Any]) -> str:
    """A warning when the fits reached too few steps to rank the detectors."""
    steps = [c["fit_summary"]["steps"] for c in results["compare"].values() if "fit_summary" in c]
    if not steps or min(steps) >= 100:
        return ""
    return (f" **Caution: the fits reached only {min(steps)}–{max(steps)} optimizer steps** (a short budget or CPU "
            "contention: see the load averages), far too few to rank the detectors on quality or speed; the "
            "collapse of FCOS's boxes (below) does not depend on the load.")


# Measured separately (not by this script) on 2026-12-01 to explain the FCOS result; see the reply to the lead.
INVESTIGATION = (
    "**Why FCOS scores 0 (separate measurements, 2026-12-01, same data):** (1) the FCOS predictor of the 240 s fit "
    "puts its highest scores (0.46–0.55) at points inside the ground-truth boxes, but every box has zero width and "
    "height: the pre-ReLU outputs of `head.regression_head.bbox_reg` average −1.1 (max +0.37) on training images, "
    "torchvision's FCOS head applies `relu` to them, so all four distances are 0, the GIoU loss of that model on a "
    "training batch is exactly 1.00 and its gradient is 0 — the regression cannot recover. (2) In a plain training "
    "loop with the same parameter groups (AdamW, backbone 1e-4, head 1e-3), gradient clip 0.1 and a 2- or 20-step "
    "warmup, one of the four distance channels was ≤ 0 at every location of P3–P5 by step 10 (positive fraction "
    "exactly 0.75) while the GIoU loss still fell (1.00 → 0.67 in 60 steps): the channels die early and do not come "
    "back. (3) Training step, batch 8 at 320 px, 2 torch threads, back to back at load ~2.6: FCOS 1.25 s, RetinaNet "
    "1.33 s, Faster R-CNN 3.2 s (inference of 8 images: 0.40 / 0.42 / 1.11 s); through `fit` at load ~2, FCOS took "
    "1.4 s per step. So a 240 s budget is ~150 FCOS/RetinaNet steps on 2 quiet cores.")


def busy_note(results: dict[str, Any]) -> str:
    """A warning when the load averages say other work shared the cores (the fits themselves use all of them)."""
    loads = [float(r.split(" / ")[0]) for r in (results["load_start"], results["load_end"])]
    if max(loads) <= results["cpus"] + 0.5:
        return "; the load averages show no other heavy work"
    return " — other work ran concurrently, so timings are noisy"


def render(results: dict[str, Any]) -> str:
    """The Markdown section."""
    sizes, data, compare = results["sizes"], results["data"], results["compare"]
    long_case, mmdet = results["long"], results.get("mmdet")
    cases = [compare[a] for a in ARCHITECTURES] + ([mmdet] if mmdet else [])
    winner = results["winner"] or "faster_rcnn"
    lines = [
        SECTION, "",
        f"`{results['command']}` on {results['date']} (whole run {results['wall_s'] / 60:.0f} min; load average "
        f"{results['load_start']} at start, {results['load_end']} at end; {results['cpus']} CPU cores, no GPU"
        f"{busy_note(results)}). Library source digest at start → end: "
        f"{digests(results['source_digest'])}." + (" **--quick smoke sizes.**" if "quick" in results["command"]
                                                     else ""), "",
        f"**The data is composited**, not a real detection set: Fashion-MNIST items ({len(data['classes'])} classes: "
        f"{', '.join(data['classes'])}), upscaled to {OBJECT_SIZE[0]}–{OBJECT_SIZE[1]} px, coloured and pasted with "
        f"exact masks onto random crops of scikit-image photos, 1–4 per image, {IMAGE_SIZE}×{IMAGE_SIZE} px "
        "(`automm.detect.testing.composite.make_composited_detection`, background `photos`). Splits: "
        + ", ".join(f"{k} {data[k]['images']} images / {data[k]['boxes']} boxes" for k in ("train", "val", "test"))
        + " (different seeds). All fits use the `medium_quality` preset (EfficientNet-Lite0 ImageNet backbone + FPN, "
        f"batch 8, AdamW lr 1e-4 with head ×10, gradient clip 0.1, validation mAP each epoch, top-3 greedy soup) with "
        f"`task.image_size={IMAGE_SIZE}` (the images are {IMAGE_SIZE} px, so the letterbox does not resize them; the "
        "preset's default is 416); each runs in a fresh process, so peak RSS is that fit's own.", "",
        f"### Detector for `medium_quality`: same {sizes['compare_time_limit']:.0f} s `time_limit` each", "",
        *compare_table(cases), "",
        verdict(results) + caution(results) + collapsed(cases) + " *Train images/s* = steps × batch 8 ÷ the "
        "seconds `fit` reports (training, per-epoch validation, soup); *mAP per training minute* = test mAP ÷ those "
        "minutes. YOLOX-s is not comparable on quality: its config has no pretrained weights and no local COCO "
        "checkpoint is given, so it trains from random init (run by `$AUTOMM_MMDET_PYTHON`, with automm-detect from "
        "source on `PYTHONPATH`).", "", INVESTIGATION, "",
        f"### The {'preset default' if winner == 'faster_rcnn' else 'measured winner'} ({NAMES[winner]}) with a "
        f"{_budget(sizes['long_time_limit'])} budget", "",
        *long_table(long_case), "", *([collapsed([long_case]).strip(), ""] if collapsed([long_case]) else []),
        "### Predict throughput vs the bare forward (same fitted network)", "",
        *throughput_table(long_case), "",
    ]
    return "\n".join(lines)
