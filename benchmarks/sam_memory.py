"""SAM ViT-B + LoRA at 1024 px on 16 composited images: peak resident memory of a fit, before and after.

    nice -n 10 python -m benchmarks.sam_memory [--steps 1] [--limit-gib 12] [--before-src /work/main]

Every fit runs in a fresh process capped with ``RLIMIT_AS`` (``--limit-gib``, so a fit that would need more fails
there instead of taking the shared machine down), chosen the AutoGluon way: ``MultiModalPredictor(problem_type=
"semantic_segmentation", hyperparameters={"model.sam.checkpoint_name": ..., "optim.peft": "lora"})`` on the default
preset, limited to ``--steps`` optimizer steps. The SAM ViT-B architecture is built from its config with random
weights (no SAM weights exist offline; memory is the same as pretrained). "before" runs the automm sources under
``--before-src`` (today's code), "after" this checkout's; "after, second fit" first trains a small U-Net in the same
process. Prints a markdown table and writes the raw results to ``WORK/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WORK = Path("/tmp/automm_bench/sam_memory")
IMAGE_SIZE = 1024
GIB = 1024**3


def make_inputs() -> dict[str, str]:
    """16 training and 2 tuning composited 1024 px images (digit glyphs on photos), and a random ViT-B file."""
    import segment_anything
    import torch

    from automm.segment.testing.composite import make_composited_segmentation

    options = {"image_size": (IMAGE_SIZE, IMAGE_SIZE), "object_size": (160, 400), "min_objects": 1,
               "max_objects": 3}
    paths = {split: str(make_composited_segmentation(WORK / "data", count, split_name=split, seed=seed, **options))
             for seed, (split, count) in enumerate((("train", 16), ("tuning", 2)))}
    checkpoint = WORK / "sam_vit_b_random.pth"
    if not checkpoint.exists():
        torch.manual_seed(0)
        torch.save(segment_anything.build_sam_vit_b(checkpoint=None).state_dict(), checkpoint)
    return {**paths, "checkpoint": str(checkpoint)}


def fit_in_this_process(inputs: dict[str, str], steps: int, warm_up: bool, out: Path, batch_size: int = 0) -> None:
    """The child: (a small U-Net fit first, when ``warm_up``) then the SAM fit (at ``batch_size``, 0: the preset's);
    writes what happened to ``out``."""
    import logging

    from automm.core import MultiModalPredictor

    logging.basicConfig(level=logging.INFO)  # the fit's memory plan, in the case's log
    result: dict[str, Any] = {}
    started = time.monotonic()
    try:
        if warm_up:
            MultiModalPredictor(problem_type="semantic_segmentation", label="label", path=str(out.parent / "unet"),
                                hyperparameters={"task.image_size": 256, "optim.max_steps": 4},
                                verbosity=0).fit(inputs["train"], tuning_data=inputs["tuning"])
            result["rss_after_warm_up_gib"] = _peak_gib()
        predictor = MultiModalPredictor(
            problem_type="semantic_segmentation", label="label", path=str(out.parent / "sam"), verbosity=2,
            hyperparameters={"model.sam.checkpoint_name": inputs["checkpoint"], "optim.peft": "lora",
                             "optim.max_steps": steps, **({"optim.batch_size": batch_size} if batch_size else {})})
        predictor.fit(inputs["train"], tuning_data=inputs["tuning"])
        summary, optim = predictor.fit_summary, predictor.state.config.optim
        encoder = _encoder(predictor.state.net)
        result.update(steps=summary["steps"], batch_size=optim.batch_size,
                      micro_batch=getattr(encoder, "micro_batch", None),
                      checkpointing=getattr(encoder, "checkpointing", False))
    except BaseException as error:  # noqa: BLE001 (the failure is the measurement)
        result["error"] = f"{type(error).__name__}: {str(error).splitlines()[0][:300]}"
        traceback.print_exc()
    result.update(peak_rss_gib=_peak_gib(), seconds=round(time.monotonic() - started, 1))
    out.write_text(json.dumps(result))


def plan_in_this_process(inputs: dict[str, str], out: Path) -> None:
    """The child of the "plan" case: the memory plan a SAM fit makes here, without training: one image's measured
    step and the images the encoder takes at a time, at the free memory now and at 24 GB free."""
    import torch

    from automm.core.plugin import Config
    from automm.core.training.peft_setup import apply_peft
    from automm.segment import sam_memory
    from automm.segment.backends import sam_backend
    from automm.segment.backends.base import SegmenterOptions
    from automm.segment.config import SegmentConfig
    from automm.segment.presets import SAM_OPTIM

    model = sam_backend.build(SegmenterOptions("vit_b", 1, IMAGE_SIZE, checkpoint=inputs["checkpoint"]))
    apply_peft(torch.nn.ModuleDict({"model": model}), "lora", SAM_OPTIM.lora_rank)
    config = Config(optim=SAM_OPTIM, task=SegmentConfig(checkpoint=inputs["checkpoint"]))
    free = sam_memory.available_bytes(torch.device("cpu"))
    result: dict[str, Any] = {"free_gib": round((free or 0) / GIB, 2)}
    started = time.monotonic()
    per_image = sam_memory.measure_step(model, torch.device("cpu"), "32-true")
    result.update(per_image_gib=round((per_image or 0) / GIB, 2), measure_seconds=round(time.monotonic() - started))
    for name, available in (("here", free), ("24 GB free", 24 * 10**9), ("8 GB free", 8 * 10**9),
                            ("4 GB free", 4 * 10**9)):
        sam_memory.available_bytes = lambda device, available=available: available  # the plan at that much
        sam_memory.measure_step = lambda *args: per_image  # measured once above
        try:
            result[name] = sam_memory.fit_memory(model, config) or config.optim.batch_size
        except Exception as error:  # noqa: BLE001 (the refusal is the result)
            result[name] = f"{type(error).__name__}: {error}"
    out.write_text(json.dumps(result))


def _encoder(net: Any) -> Any:
    return next((m for m in net.modules() if type(m).__name__ in ("CheckpointedImageEncoder", "ImageEncoderViT")),
                None)


def _peak_gib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GIB, 2)


def run_case(name: str, source: str, inputs: dict[str, str], steps: int, warm_up: bool, batch_size: int,
             limit: int, timeout: float) -> dict[str, Any]:
    """One case in a fresh process under ``RLIMIT_AS`` = ``limit`` bytes; ``source`` is the repository whose
    packages it imports."""
    folder = WORK / name
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "result.json"
    out.unlink(missing_ok=True)
    paths = [str(p) for p in sorted(Path(source).glob("packages/*/src"))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*paths, str(ROOT)]), "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1", "MALLOC_ARENA_MAX": "2"}
    command = [sys.executable, "-m", "benchmarks.sam_memory", "--child", json.dumps(inputs), "--steps", str(steps),
               "--out", str(out), "--batch-size", str(batch_size), *(["--warm-up"] if warm_up else []),
               *(["--plan"] if name == "plan" else [])]

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    with open(folder / "log.txt", "w") as log:
        child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=cap)
        deadline = time.monotonic() + timeout
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)  # the child's own peak, even when it was killed
        while pid == 0:
            if time.monotonic() > deadline:
                child.kill()
            time.sleep(1)
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        child.returncode = os.waitstatus_to_exitcode(status)
    code = child.returncode
    result = json.loads(out.read_text()) if out.exists() else {"error": f"killed after {timeout:g} s (exit {code})"}
    return {"case": name, "exit": code, **result, "peak_rss_gib": round(usage.ru_maxrss * 1024 / GIB, 2)}


def table(results: list[dict[str, Any]], limit_gib: float) -> str:
    lines = ["| fit | exit | steps | batch | encoder images at a time | checkpointing | peak RSS (GiB) | seconds | "
             "outcome |", "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        outcome = r.get("error") or "trained"
        lines.append(f"| {r['case']} | {r['exit']} | {r.get('steps', '-')} | {r.get('batch_size', '-')} | "
                     f"{r.get('micro_batch') or r.get('batch_size', '-')} | {r.get('checkpointing', '-')} | "
                     f"{r.get('peak_rss_gib', '-')} | {r.get('seconds', '-')} | {outcome} |")
    return "\n".join(lines) + f"\n\nEvery fit capped at RLIMIT_AS = {limit_gib:g} GiB."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1)
    parser.add_argument("--limit-gib", type=float, default=12.0)
    parser.add_argument("--before-src", default="/work/main")
    parser.add_argument("--cases", default="before,after,after_second_fit")
    parser.add_argument("--timeout", type=float, default=480)
    parser.add_argument("--child")
    parser.add_argument("--out")
    parser.add_argument("--warm-up", action="store_true")
    parser.add_argument("--batch-size", type=int, default=0)
    parser.add_argument("--plan", action="store_true")
    args = parser.parse_args()
    if args.child and args.plan:
        plan_in_this_process(json.loads(args.child), Path(args.out))
        return
    if args.child:
        fit_in_this_process(json.loads(args.child), args.steps, args.warm_up, Path(args.out), args.batch_size)
        return
    inputs = make_inputs()
    limit = int(args.limit_gib * GIB)
    # name: (sources, a U-Net fit first, batch size (0: the preset's)); before_b1 / before_b2 extrapolate today's
    # batch of 8, which does not fit the cap.
    plans = {"before": (args.before_src, False, 0), "after": (str(ROOT), False, 0),
             "after_second_fit": (str(ROOT), True, 0), "before_second_fit": (args.before_src, True, 0),
             "before_b1": (args.before_src, False, 1), "before_b2": (args.before_src, False, 2),
             "plan": (str(ROOT), False, 0)}
    results = []
    for name in args.cases.split(","):
        source, warm_up, batch_size = plans[name]
        results.append(run_case(name, source, inputs, args.steps, warm_up, batch_size, limit, args.timeout))
        print(json.dumps(results[-1]), flush=True)
    (WORK / "results.json").write_text(json.dumps(results, indent=1))
    print(f"load average {' / '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(table(results, args.limit_gib))


if __name__ == "__main__":
    main()
