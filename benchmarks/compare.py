"""Before/after check: the same measurements on two installed versions of automm, in one run, as ratios.

    python -m benchmarks.compare --baseline-python /tmp/before/bin/python [--current-python PYTHON]
        [--baseline-label 98e6b22] [--repeats 3] [--output BENCHMARKS.md]

(``nox -s benchmark-compare -- REF`` builds the baseline environment from a git ref and runs this.) Each repeat runs
``benchmarks/compare_worker.py`` twice per version, each time in a fresh process of that version's interpreter,
baseline and current alternating (which goes first swaps every repeat); each value is the median over the repeats:

* ``fit`` process: first ``from automm.core import MultiModalPredictor`` and the first
  ``MultiModalPredictor(label=..., problem_type="binary")`` (plug-in discovery); then a tabular (breast cancer)
  and a text (made-up reviews, the preset's MiniLM) predictor fitted with seed 0 for two epochs: training steps
  per second (``fit_summary`` steps / seconds), the fit's wall time, single-row ``predict`` (median over many
  calls after a warm-up); each predictor is exported with ``automm.deploy.export``;
* ``deploy`` process: the exports in the torch-free runtime (``automm.deploy.load``): single-row and 64-row predict.

Children run without ``PYTHONPATH`` (each interpreter measures the packages installed in it) and with
``--threads`` intra-op threads (default 1). About 9 minutes with 3 repeats on 2 busy cores. The section
(``compare_report.SECTION``) goes into ``--output`` (default BENCHMARKS.md; nothing when both interpreters are the
same one, a harness check whose ratios should all be ~1.0, unless ``--output`` is given).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .compare_report import Metric, render

ROOT = Path(__file__).resolve().parents[1]
WORKER = Path(__file__).resolve().with_name("compare_worker.py")
WORK = ROOT / "benchmarks" / ".work" / "compare"
SIDES = ("baseline", "current")
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
TIMEOUTS = {"fit": 1800, "deploy": 600}  # seconds per measurement process


def load_average() -> str:
    return " / ".join(f"{v:.1f}" for v in os.getloadavg())


def git_describe(folder: Path = ROOT) -> str:
    """``git describe --always --dirty`` of ``folder``, or "unknown" outside a git checkout."""
    done = subprocess.run(["git", "-C", str(folder), "describe", "--always", "--dirty", "--tags"],
                          capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else "unknown"


def machine() -> dict[str, Any]:
    """CPU model, usable cores, memory and OS of this machine."""
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    cpu = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")),
               platform.processor() or "unknown CPU")
    return {"cpu": cpu, "cpus": len(os.sched_getaffinity(0)),
            "memory_gb": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9,
            "os": f"{platform.system()} {platform.release()}"}


def run_worker(python: str, command: str, args: list[str], out: Path, log: Path, threads: int) -> dict[str, Any]:
    """``python compare_worker.py COMMAND ARGS OUT`` in a fresh process, without ``PYTHONPATH`` and with ``threads``
    intra-op threads; its JSON plus ``process_s``, the wall time of the whole process."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env.update(OFFLINE, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    out.unlink(missing_ok=True)
    with log.open("a") as stream:
        stream.write(f"\n$ {python} {WORKER.name} {command} {' '.join(args)}\n")
        stream.flush()
        started = time.perf_counter()
        done = subprocess.run([python, str(WORKER), command, *args, str(out)], cwd=out.parent, stdout=stream,
                              stderr=subprocess.STDOUT, env=env, timeout=TIMEOUTS[command])
        process_s = time.perf_counter() - started
    if done.returncode != 0 or not out.exists():
        tail = [line for line in log.read_text().splitlines() if line.strip()][-1:] or ["(no output)"]
        raise RuntimeError(f"{command} with {python} failed (exit status {done.returncode}): {tail[0]}; "
                           f"see {log}")
    return {**json.loads(out.read_text()), "process_s": process_s}


def measure(pythons: dict[str, str], repeats: int, work: Path, threads: int,
            ) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Every measurement ``repeats`` times per side, alternating sides; the raw results by side and kind."""
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {side: {"fit": [], "deploy": []} for side in SIDES}
    started = time.perf_counter()

    def step(side: str, command: str, repeat: int, args: list[str]) -> None:
        print(f"  [{time.perf_counter() - started:5.0f} s] repeat {repeat + 1}/{repeats}: {side:8} {command} "
              f"(load average {load_average()})", flush=True)
        out = work / f"{side}-{command}-{repeat}.json"
        runs[side][command].append(run_worker(pythons[side], command, args, out, work / f"{side}.log", threads))

    for repeat in range(repeats):
        order = SIDES if repeat % 2 == 0 else SIDES[::-1]
        folders = {side: work / f"{side}-{repeat}" for side in SIDES}
        for side in order:
            shutil.rmtree(folders[side], ignore_errors=True)
            folders[side].mkdir(parents=True)
            step(side, "fit", repeat, [str(folders[side])])
        for side in order:
            step(side, "deploy", repeat, [str(folders[side])])
            shutil.rmtree(folders[side], ignore_errors=True)  # exports and predictors: ~100 MB each
    return runs


def _case_metrics(case: str) -> list[Metric]:
    def fit(r: dict[str, Any]) -> dict[str, Any]:
        return r["fit"]["cases"][case]

    def deploy(r: dict[str, Any]) -> dict[str, Any]:
        return r["deploy"]["cases"][case]

    return [
        Metric(f"{case}: fit, training steps per second", "higher", lambda r: fit(r)["steps_per_s"], "steps/s"),
        Metric(f"{case}: fit wall time (2 epochs)", "lower", lambda r: fit(r)["fit_wall_s"]),
        Metric(f"{case}: single-row `predict` (median of calls)", "lower",
               lambda r: fit(r)["predict_single"]["median_s"], fastest=lambda r: fit(r)["predict_single"]["min_s"]),
        Metric(f"{case}: deploy runtime, single row (median of calls)", "lower",
               lambda r: deploy(r)["single"]["median_s"], fastest=lambda r: deploy(r)["single"]["min_s"]),
        Metric(f"{case}: deploy runtime, 64-row batch (median of calls)", "lower",
               lambda r: deploy(r)["batch"]["median_s"], fastest=lambda r: deploy(r)["batch"]["min_s"]),
    ]


METRICS = [
    Metric("`from automm.core import MultiModalPredictor`", "lower", lambda r: r["fit"]["imports"]["import_s"]),
    Metric("First `MultiModalPredictor(label=..., problem_type=\"binary\")` (plug-in discovery)", "lower",
           lambda r: r["fit"]["imports"]["discovery_s"]),
    Metric("`from automm.deploy import load` (runtime process)", "lower", lambda r: r["deploy"]["import_s"]),
    *_case_metrics("tabular"),
    *_case_metrics("text"),
]


def by_repeat(runs: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """One ``{"fit": ..., "deploy": ...}`` per repeat of one side."""
    return [dict(zip(runs, values)) for values in zip(*runs.values())]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline-python", required=True, help="interpreter with the baseline version installed")
    parser.add_argument("--current-python", default=sys.executable, help="interpreter with the current version "
                                                                          "(default: this one)")
    parser.add_argument("--baseline-label", default="baseline", help="what the baseline is (e.g. its git ref)")
    parser.add_argument("--current-label", default=None, help="default: git describe of this checkout")
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per measurement and side (>= 3)")
    parser.add_argument("--threads", type=int, default=1, help="torch and onnxruntime intra-op threads in the "
                        "measured processes (default 1: steadier than 2 on cores that other work shares)")
    parser.add_argument("--output", type=Path, default=None, help="Markdown file whose section to write (default "
                        "BENCHMARKS.md, or nothing when both interpreters are the same)")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.threads < 1:
        parser.error("--repeats and --threads must be at least 1")
    pythons = {"baseline": args.baseline_python, "current": args.current_python}
    same = Path(pythons["baseline"]).absolute() == Path(pythons["current"]).absolute()  # a venv links its python
    output = args.output or (None if same else ROOT / "BENCHMARKS.md")
    labels = {"baseline": args.baseline_label, "current": args.current_label or f"working tree {git_describe()}"}
    WORK.mkdir(parents=True, exist_ok=True)
    for log in WORK.glob("*.log"):
        log.unlink()
    print(f"benchmarks.compare: {labels['baseline']} ({pythons['baseline']}) against {labels['current']} "
          f"({pythons['current']}), {args.repeats} repeats; logs in {WORK}. The CPU cores may be shared with other "
          f"work (load average {load_average()}): both sides are interleaved so that they share its slowdowns.",
          flush=True)
    started = time.perf_counter()
    results: dict[str, Any] = {
        "command": " ".join(["python -m benchmarks.compare", *(argv if argv is not None else sys.argv[1:])]),
        "date": time.strftime("%Y-%m-%d %H:%M %Z"), "machine": machine(), "load_start": load_average(),
        "labels": labels, "pythons": pythons, "same_interpreter": same, "repeats": args.repeats,
        "threads": args.threads,
    }
    try:
        raw = measure(pythons, args.repeats, WORK, args.threads)
    except (RuntimeError, subprocess.TimeoutExpired) as err:
        print(f"benchmarks.compare stopped: {err}", file=sys.stderr)
        return 1
    results["runs"] = {side: by_repeat(raw[side]) for side in SIDES}
    results["load_end"] = load_average()
    results["wall_s"] = time.perf_counter() - started
    (WORK / "results.json").write_text(json.dumps(results, indent=1))
    section = render(results, METRICS)
    print("\n" + section)
    if output is not None:
        from .report import replace_section

        output.write_text(replace_section(output.read_text() if output.exists() else "# Benchmarks\n", section))
        print(f"wrote the {section.splitlines()[0]!r} section of {output}")
    else:
        print("same interpreter on both sides (a harness check): no file written; give --output to write one")
    return 0


if __name__ == "__main__":
    sys.exit(main())
