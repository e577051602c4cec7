"""Benchmark automm on real offline datasets and write BENCHMARKS.md.

    python -m benchmarks.run                   # full run (~25 min on 2 CPU cores), rewrites BENCHMARKS.md
    python -m benchmarks.run --quick           # tiny sizes, a smoke check; prints only
    python -m benchmarks.run --only penguins   # some datasets; prints only unless --output is given

Each dataset is fitted, evaluated and timed in its own subprocess (``benchmarks.measure``); logs of
those processes go to ``benchmarks/.work/<dataset>.log``.
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
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from statistics import median
from typing import Any

from .cases import CASES
from .fit_cases import source_digest
from .report import render

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work"
PACKAGES = ("automm-core", "automm-classify", "torch", "torchvision", "transformers", "timm", "lightning", "numpy",
            "pandas")
IMPORT_RUNS = 3
ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def measure(args: list[str], log: Path, timeout: float) -> dict[str, Any]:
    """Run ``python -m benchmarks.measure ARGS OUT`` in a fresh process and return its JSON."""
    out = log.with_name(f"{log.stem}-{args[0]}.json")
    out.unlink(missing_ok=True)
    with log.open("a") as stream:
        stream.write(f"\n$ benchmarks.measure {' '.join(args)}\n")
        stream.flush()
        done = subprocess.run([sys.executable, "-m", "benchmarks.measure", *args, str(out)], cwd=ROOT,
                              stdout=stream, stderr=subprocess.STDOUT, timeout=timeout, env={**ENV, **os.environ})
    if done.returncode != 0:
        tail = log.read_text().strip().splitlines()[-1:] or ["(no output)"]
        raise RuntimeError(f"exit status {done.returncode}: {tail[0]} (see {log.relative_to(ROOT)})")
    return json.loads(out.read_text())


def measure_imports() -> dict[str, Any]:
    """Median import times over fresh processes, plus the whole process's wall time."""
    runs = []
    for _ in range(IMPORT_RUNS):
        started = time.perf_counter()
        result = measure(["imports"], WORK / "imports.log", timeout=300)
        runs.append({**result, "process_s": time.perf_counter() - started})
    return {**{k: median(r[k] for r in runs) for k in ("import_package_s", "import_predictor_s", "process_s")},
            "frameworks_loaded": sorted({name for r in runs for name in r["frameworks_loaded"]}), "runs": runs}


def run_case(name: str, quick: bool) -> dict[str, Any]:
    """Fit + measure in one process, then time the first use of the saved predictor in another."""
    case = CASES[name]
    work, log = WORK / name, WORK / f"{name}.log"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    log.unlink(missing_ok=True)
    started = time.perf_counter()
    result: dict[str, Any] = {"description": case.description, "source_digest": [source_digest()]}
    try:
        timeout = case.sizes(quick).time_limit * 3 + 1800
        result["fit"] = measure(["fit", name, str(work), *(["--quick"] if quick else [])], log, timeout)
        result["cold"] = measure(["cold", str(work / "predictor"), str(work / "row.parquet")], log, timeout=600)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        result["error"] = str(exc)
    result["wall_s"] = time.perf_counter() - started
    result["source_digest"].append(source_digest())  # other engineers may edit the library meanwhile
    return result


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    return {
        "cpu": cpu,
        "cpus": len(os.sched_getaffinity(0)),
        "memory": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
        "gpu": "no GPU",  # replaced by run() if the fit processes saw CUDA
        "os": f"{platform.system()} {platform.release()}",
        "load_start": " / ".join(f"{v:.1f}" for v in os.getloadavg()),
    }


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    return found


def keep_other_sections(old: str, new: str) -> str:
    """``new`` plus every ``## `` section of ``old`` that ``new`` lacks (e.g. the one benchmarks.memory adds)."""
    sections = ("\n" + old).split("\n## ")[1:]
    headings = {line[3:] for line in new.splitlines() if line.startswith("## ")}
    kept = ["## " + section.rstrip() for section in sections if section.splitlines()[0] not in headings]
    return "\n\n".join([new.rstrip(), *kept]) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes and time limits: a smoke check")
    parser.add_argument("--only", action="append", choices=list(CASES), metavar="NAME",
                        help=f"run only this dataset (repeatable): {', '.join(CASES)}")
    parser.add_argument("--output", type=Path, help="Markdown file to write (default: BENCHMARKS.md for a full "
                                                    "run of every dataset; nothing for --quick or --only)")
    args = parser.parse_args(argv)
    output = args.output or (None if args.quick or args.only else ROOT / "BENCHMARKS.md")
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, Any] = {"command": " ".join(["python -m benchmarks.run", *(argv or sys.argv[1:])]),
                               "date": time.strftime("%Y-%m-%d %H:%M %Z"), "quick": args.quick,
                               "machine": machine(), "versions": versions(), "source_digest": source_digest(),
                               "cases": {}}
    print("import timings ...", flush=True)
    results["imports"] = measure_imports()
    for name in args.only or CASES:
        print(f"{name} ...", flush=True)
        results["cases"][name] = case = run_case(name, args.quick)
        print(f"  {'FAILED: ' + case['error'] if 'error' in case else 'done'} ({case['wall_s']:.0f} s)", flush=True)
    fits = [c["fit"] for c in results["cases"].values() if "fit" in c]
    results["machine"]["torch_threads"] = fits[0]["torch_threads"] if fits else "?"
    if any(f["cuda"] for f in fits):
        results["machine"]["gpu"] = "CUDA GPU present"
    results["machine"]["load_end"] = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    results["total_wall_s"] = time.perf_counter() - started
    results["source_digest"] = [results["source_digest"], source_digest()]
    (WORK / "results.json").write_text(json.dumps(results, indent=2, default=str))
    markdown = render(results)
    print("\n" + markdown)
    if output:
        output.write_text(keep_other_sections(output.read_text() if output.exists() else "", markdown))
        print(f"wrote {output}")
    return 1 if any("error" in c for c in results["cases"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
