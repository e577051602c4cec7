"""Sessions: per-package tests, cross-package integration, slow tests, lint, benchmarks.

Torch is installed first from the pinned CPU-capable build (see README), then the packages.
"""

from __future__ import annotations

import os

import nox

nox.options.sessions = ["lint", "tests", "integration"]
nox.options.reuse_existing_virtualenvs = True
nox.options.default_venv_backend = "venv"

PYTHON = "3.11"
TORCH = ["torch==2.14.1", "torchvision==0.29.1"]
CORE = "./packages/automm-core[offline]"
PACKAGES = {
    "core": [CORE],
    "classify": [CORE, "./packages/automm-classify[plot]"],
    "match": [CORE, "./packages/automm-match[plot]"],
    "detect": [CORE, "./packages/automm-detect[onnx]"],
}
# skimage: the real-weights photo check and the photos composited detection sets are built on;
# scikit-learn: its bundled digit glyphs are the composited objects.
TEST_TOOLS = ["pytest>=8", "hypothesis>=6", "scikit-image>=0.22", "scikit-learn>=1.3"]
# Every package, core first: pip resolves the task packages' automm-core requirement against the local
# core only when core comes first on the command line (a set's order changes from run to run).
ALL_PACKAGES = list(dict.fromkeys(p for pkgs in PACKAGES.values() for p in pkgs))
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def _install(session: nox.Session, *packages: str) -> None:
    session.install(*TORCH)
    session.install(*packages, *TEST_TOOLS)


@nox.session(python=PYTHON)
@nox.parametrize("package", list(PACKAGES))
def tests(session: nox.Session, package: str) -> None:
    """One package's tests, with only that package and what it depends on installed."""
    _install(session, *PACKAGES[package])
    session.run("pytest", f"packages/automm-{package}/tests", "-m", "not slow and not gpu",
                f"--junitxml=test-results/tests-{package}.xml", *session.posargs, env=OFFLINE)


@nox.session(python=PYTHON)
def integration(session: nox.Session) -> None:
    """Cross-package tests in tests/, with every package installed."""
    _install(session, *ALL_PACKAGES)
    session.run("pytest", "tests", "-m", "not slow and not gpu", "--junitxml=test-results/integration.xml",
                *session.posargs, env=OFFLINE)


@nox.session(python=PYTHON)
def slow(session: nox.Session) -> None:
    """Tests marked slow (real pretrained weights, multi-process training)."""
    _install(session, *ALL_PACKAGES)
    session.run("pytest", "packages", "tests", "-m", "slow", *session.posargs, env=OFFLINE)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")


@nox.session(python=PYTHON)
def benchmarks(session: nox.Session) -> None:
    """Run benchmarks/ and rewrite BENCHMARKS.md (run.py rewrites it; memory and matching replace their sections)."""
    _install(session, *ALL_PACKAGES, "rdata>=0.11", "palmerpenguins>=0.1")
    session.run("python", "-m", "benchmarks.run", *session.posargs, env={**OFFLINE, **os.environ})
    session.run("python", "-m", "benchmarks.memory", env={**OFFLINE, **os.environ})
    session.run("python", "-m", "benchmarks.matching", env={**OFFLINE, **os.environ})
