"""No copied code across package boundaries: deploy vs every other package, detect vs segment.

Uses pylint's ``symilar`` (the engine of its ``duplicate-code`` check), so it runs wherever pylint installs; the
nox ``lint`` session runs this file with ``--noconftest``. Blocks of ``MIN_LINES`` or more equal lines count,
ignoring comments, docstrings, imports and signatures.
"""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pylint")

ROOT = Path(__file__).resolve().parents[1]
MIN_LINES = 6
# (one side, the other side): a block shared by a file of each side is a copy.
BOUNDARIES = {
    "deploy vs others": (("automm-deploy",), ("automm-core", "automm-classify", "automm-match", "automm-detect",
                                              "automm-segment")),
    "detect vs segment": (("automm-detect",), ("automm-segment",)),
}
BLOCK = re.compile(r"^(\d+) similar lines in \d+ files\n((?:==.+\n)+)", re.MULTILINE)


def _package(path: str) -> str:
    return Path(path).relative_to(ROOT / "packages").parts[0]


@functools.cache
def shared_blocks() -> list[tuple[str, list[str]]]:
    """Every block of at least ``MIN_LINES`` equal lines in two or more source files: (line count, spans)."""
    files = sorted(str(f) for f in (ROOT / "packages").glob("*/src/**/*.py"))
    report = subprocess.run([sys.executable, "-m", "pylint.checkers.symilar", "-d", str(MIN_LINES),
                             "--ignore-comments", "--ignore-docstrings", "--ignore-imports", "--ignore-signatures",
                             *files], capture_output=True, text=True, check=False).stdout
    return [(lines, [line[2:] for line in where.splitlines()]) for lines, where in BLOCK.findall(report)]


def copies(left: tuple[str, ...], right: tuple[str, ...]) -> list[str]:
    """Every shared block found in a file of ``left`` and a file of ``right``."""
    found = []
    for lines, spans in shared_blocks():
        packages = {_package(span.split(":[")[0]) for span in spans}
        if packages & set(left) and packages & set(right):
            found.append(f"{lines} lines: " + " = ".join(str(Path(s).relative_to(ROOT)) for s in spans))
    return found


@pytest.mark.parametrize("boundary", sorted(BOUNDARIES))
def test_no_block_copied_across(boundary: str) -> None:
    found = copies(*BOUNDARIES[boundary])
    assert not found, f"{boundary}: {len(found)} copied block(s) of >= {MIN_LINES} lines:\n" + "\n".join(found)
