"""Execute every tutorial for the documentation site.

Each ``docs/tutorials/<section>/<name>.py`` (jupytext percent format) becomes a notebook, runs in its own
kernel (nbclient) with the repository root as working directory and the offline environment, and is written,
with its outputs, as ``docs/tutorials/<section>/<name>.ipynb``, which the site renders. Two tutorials run at
a time; one that fails or passes its timeout fails the run, and its failing cell is printed.

    python docs/execute.py                      # all tutorials
    python docs/execute.py document_prediction  # those whose path contains one of the words
    python docs/execute.py --timeout 300 --jobs 1
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TUTORIALS = ROOT / "docs" / "tutorials"
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


@dataclass(frozen=True)
class Outcome:
    """One tutorial's run: its source, wall time in seconds, and the error text ('' when it passed)."""

    source: Path
    seconds: float
    error: str


def execute_one(source: Path, timeout: int) -> None:
    """Convert ``source`` to a notebook, run it in a fresh kernel and write the executed ``.ipynb`` beside it.

    Raises:
        nbclient.exceptions.CellExecutionError: a cell raised; the message holds the cell and its traceback.
    """
    import jupytext
    import nbformat
    from nbclient import NotebookClient

    notebook = jupytext.read(source, fmt="py:percent")
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    target = source.with_suffix(".ipynb")
    partial = target.with_suffix(".ipynb.partial")
    nbformat.write(notebook, partial)
    partial.replace(target)


def _run_isolated(source: Path, timeout: int, threads: int) -> Outcome:
    """Run one tutorial in a child process (its own process group, so a timeout also ends its kernel).

    ``threads`` bounds torch's CPU threads (``OMP_NUM_THREADS``) unless the caller set it: tutorials running side by
    side with a thread per core each oversubscribe the cores, and training slows tenfold.
    """
    env = {"OMP_NUM_THREADS": str(threads), **os.environ, **OFFLINE, "PYTHONPATH": _pythonpath()}
    start = time.perf_counter()
    command = [sys.executable, str(Path(__file__).resolve()), "--one", str(source), "--timeout", str(timeout)]
    child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             start_new_session=True)
    try:
        output, _ = child.communicate(timeout=timeout + 60)  # the kernel's start and the write on top of the cells
        error = "" if child.returncode == 0 else output.strip() or f"exit status {child.returncode}"
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        error = f"did not finish within {timeout + 60} s (pass --timeout to allow longer)"
    return Outcome(source, time.perf_counter() - start, error)


def _pythonpath() -> str:
    """Every package's src/ and the repository root (for ``benchmarks.datasets``), then the caller's path."""
    paths = [str(p) for p in sorted((ROOT / "packages").glob("*/src"))] + [str(ROOT)]
    inherited = os.environ.get("PYTHONPATH", "")
    return os.pathsep.join(paths + ([inherited] if inherited else []))


def find(words: list[str]) -> list[Path]:
    """The tutorials whose path (relative to docs/tutorials) contains one of ``words`` (all when none)."""
    sources = sorted(p for p in TUTORIALS.glob("*/**/*.py") if not p.name.startswith("_"))
    return [p for p in sources if not words or any(w in p.relative_to(TUTORIALS).as_posix() for w in words)]


def remove_stale() -> None:
    """Delete executed notebooks whose tutorial source no longer exists."""
    for notebook in TUTORIALS.glob("*/**/*.ipynb"):
        if not notebook.with_suffix(".py").is_file():
            notebook.unlink()


def _name(source: Path) -> str:
    """``source`` relative to the repository root when it lies inside it."""
    return source.relative_to(ROOT).as_posix() if source.is_relative_to(ROOT) else str(source)


def report(outcomes: list[Outcome], total: float) -> int:
    """Print each tutorial's wall time and status, then each failure in full; 1 if any failed."""
    width = max((len(_name(o.source)) for o in outcomes), default=10)
    print(f"\n{'tutorial':<{width}}  seconds  status")
    for o in outcomes:
        print(f"{_name(o.source):<{width}}  {o.seconds:7.1f}  {'FAILED' if o.error else 'ok'}")
    failed = [o for o in outcomes if o.error]
    print(f"{len(outcomes)} tutorials, {len(failed)} failed, {total:.0f} s wall")
    for o in failed:
        print(f"\n===== {_name(o.source)} failed =====\n{o.error}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """Command line: run the selected tutorials, two at a time; exit status 1 if any failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("words", nargs="*", help="run only tutorials whose path contains one of these")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per tutorial (default 600)")
    parser.add_argument("--jobs", type=int, default=2, help="tutorials run at once (default 2)")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)  # the child process of _run_isolated
    args = parser.parse_args(argv)
    if args.one:
        from nbclient.exceptions import CellExecutionError

        try:
            execute_one(args.one, args.timeout)
        except CellExecutionError as err:  # its text is the failing cell and the traceback
            print(err)
            return 1
        return 0
    remove_stale()
    sources = find(args.words)
    if not sources:
        print(f"no tutorials under {TUTORIALS} match {args.words}", file=sys.stderr)
        return 1 if args.words else 0
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        threads = max(1, (os.cpu_count() or 1) // args.jobs)
        outcomes = list(pool.map(lambda s: _run_isolated(s, args.timeout, threads), sources))
    return report(outcomes, time.perf_counter() - start)


if __name__ == "__main__":
    sys.exit(main())
