"""The lowest versions a package says it works with, for ``nox -s lowest``.

    python tools/lowest.py core-source PACKAGE OUT   # OUT: the oldest automm-core release PACKAGE accepts
    python tools/lowest.py floors PACKAGE [EXTRA ...]   # PACKAGE's direct requirements pinned to their lowest

``core-source`` reads PACKAGE's ``automm-core`` requirement, finds the oldest core release inside it (the release tags
``automm-core-vX.Y.Z``; in a clone without tags, the last commit at each version of core's pyproject.toml) and writes
that release's ``packages/automm-core`` folder to OUT, from git, for a wheel to be built from. ``floors`` prints
PACKAGE's own direct requirements (with those of EXTRA), automm packages left out, each pinned to the lowest version
it allows (``pandas>=2.2.2`` -> ``pandas==2.2.2``), as the constraints files of google-cloud-python's packages do: an
installer then resolves everything else around those exact versions, and a floor that cannot be installed with the
rest fails the resolution instead of being lifted quietly.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
from pathlib import Path

import tomllib
from packaging.requirements import Requirement
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[1]
CORE = "automm-core"
CORE_PYPROJECT = f"packages/{CORE}/pyproject.toml"


def _project(package: str, root: Path = ROOT) -> dict:
    return tomllib.loads((root / "packages" / package / "pyproject.toml").read_text())["project"]


def direct_requirements(package: str, extras: tuple[str, ...] = (), root: Path = ROOT) -> list[Requirement]:
    """``package``'s dependencies and those of ``extras``, as declared (automm packages included)."""
    project = _project(package, root)
    declared = list(project.get("dependencies", []))
    for extra in extras:
        if extra not in project.get("optional-dependencies", {}):
            raise SystemExit(f"{package} has no extra {extra!r}")
        declared += project["optional-dependencies"][extra]
    return [Requirement(line) for line in declared]


def floor(requirement: Requirement) -> Requirement:
    """``requirement`` pinned to the lowest version it allows (``>=``, ``~=`` or ``==``); unchanged without one."""
    lowest = [spec.version for spec in requirement.specifier if spec.operator in (">=", "~=", "==")]
    if not lowest:
        return requirement
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    marker = f"; {requirement.marker}" if requirement.marker else ""
    return Requirement(f"{requirement.name}{extras}=={max(lowest, key=Version)}{marker}")


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def core_releases(root: Path = ROOT) -> dict[Version, str]:
    """Each automm-core release and the git ref it was made from: its tag; in a clone without tags, the last
    commit whose pyproject.toml has that version."""
    tags = _git(root, "tag", "--list", f"{CORE}-v*").split()
    if tags:
        return {Version(tag.removeprefix(f"{CORE}-v")): tag for tag in tags}
    found: dict[Version, str] = {}
    for commit in _git(root, "log", "--format=%H", "--", CORE_PYPROJECT).split():  # newest first
        try:
            version = Version(tomllib.loads(_git(root, "show", f"{commit}:{CORE_PYPROJECT}"))["project"]["version"])
        except (subprocess.CalledProcessError, InvalidVersion, KeyError, tomllib.TOMLDecodeError):
            continue
        found.setdefault(version, commit)
    return found


def oldest_core(package: str, root: Path = ROOT) -> tuple[Version, str]:
    """The oldest automm-core release ``package``'s requirement accepts, and its git ref."""
    wanted = next((r for r in direct_requirements(package, root=root) if r.name == CORE), None)
    if wanted is None:
        raise SystemExit(f"{package} does not depend on {CORE}")
    releases = core_releases(root)
    accepted = sorted(v for v in releases if wanted.specifier.contains(v, prereleases=True))
    if not accepted:
        known = ", ".join(str(v) for v in sorted(releases)) or "none"
        raise SystemExit(f"no {CORE} release satisfies {package}'s requirement '{wanted}' (releases found: {known}); "
                         f"fetch the tags (git fetch --tags) or correct the requirement")
    return accepted[0], releases[accepted[0]]


def core_source(package: str, out: Path, root: Path = ROOT) -> tuple[Version, Path]:
    """The oldest accepted automm-core release's package folder, written to ``out`` from git."""
    version, ref = oldest_core(package, root)
    archive = subprocess.run(["git", "archive", "--format=tar", ref, f"packages/{CORE}"], cwd=root, check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(out / "checkout", filter="data")
    folder = out / "checkout" / "packages" / CORE
    return version, folder


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[0] == "core-source":
        version, folder = core_source(argv[1], Path(argv[2]))
        print(f"{CORE} {version}: {folder}")
        return 0
    if len(argv) >= 2 and argv[0] == "floors":
        for requirement in direct_requirements(argv[1], tuple(argv[2:])):
            if not requirement.name.startswith("automm-"):
                print(floor(requirement))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
