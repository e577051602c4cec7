"""Independent releases: every CHANGELOG ready for the next release, the release command's checks, the content
checks of built distributions (tools/distributions.py, run by `nox -s wheels` and `nox -s release`), and the choice
of the oldest automm-core a task package is tested against (tools/lowest.py, run by `nox -s lowest`)."""

from __future__ import annotations

import importlib.util
import io
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest


def _tool(name: str):  # tools/ is scripts, not a package: load the module from its file
    spec = importlib.util.spec_from_file_location(f"automm_tools_{name}",
                                                  Path(__file__).resolve().parents[1] / "tools" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses and exceptions resolve their module
    spec.loader.exec_module(module)
    return module


_tools = _tool("distributions")
PACKAGES, ROOT, ReleaseError = _tools.PACKAGES, _tools.ROOT, _tools.ReleaseError
changelog_problem, release, sdist_problems = _tools.changelog_problem, _tools.release, _tools.sdist_problems
tag_of, version_of, wheel_problems = _tools.tag_of, _tools.version_of, _tools.wheel_problems


@pytest.mark.parametrize("package", PACKAGES)
def test_every_changelog_opens_with_unreleased_then_the_current_version(package: str) -> None:
    """Changes land under '## Unreleased'; the entry below it is the version in pyproject.toml (so a version bump
    without its CHANGELOG entry, or an entry without the bump, fails here before a release is tried)."""
    assert changelog_problem(package, version_of(package)) is None


def _git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A git repository holding tools/ and automm-match's sources (committed), as a release sees them."""
    folder = tmp_path / "repo"
    shutil.copytree(ROOT / "tools", folder / "tools", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "packages" / "automm-match", folder / "packages" / "automm-match",
                    ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info", "tests"))
    _git(folder.parent, "init", "-q", str(folder))
    _git(folder, "config", "user.name", "automm tests")
    _git(folder, "config", "user.email", "tests@automm.invalid")
    _git(folder, "add", "-A")
    _git(folder, "commit", "-qm", "sources")
    return folder


def test_a_release_builds_checked_distributions_and_tags_the_version_once(repository: Path) -> None:
    version = version_of("automm-match", repository)
    out = repository / "dist"
    assert release("automm-match", repository, out) == tag_of("automm-match", version) == f"automm-match-v{version}"
    assert _git(repository, "tag", "--list") == f"automm-match-v{version}\n"
    assert sorted(p.name for p in out.iterdir()) == [f"automm_match-{version}-py3-none-any.whl",
                                                     f"automm_match-{version}.tar.gz"]
    with pytest.raises(ReleaseError, match=f"automm-match-v{version} exists: bump the version"):
        release("automm-match", repository, out)


def test_a_release_needs_the_changelog_entry_and_a_clean_package(repository: Path) -> None:
    changelog = repository / "packages" / "automm-match" / "CHANGELOG.md"
    pyproject = repository / "packages" / "automm-match" / "pyproject.toml"
    version = version_of("automm-match", repository)
    pyproject.write_text(pyproject.read_text().replace(f'version = "{version}"', 'version = "9.9.9"'))
    with pytest.raises(ReleaseError, match=r"no entry for 9.9.9 below '## Unreleased' .*move the changes"):
        release("automm-match", repository)
    changelog.write_text(changelog.read_text().replace("## Unreleased\n", "## Unreleased\n\n## 9.9.9 — 2026-12-07\n"))
    with pytest.raises(ReleaseError, match="packages/automm-match has uncommitted changes"):
        release("automm-match", repository)
    changelog.write_text(changelog.read_text().replace("## Unreleased\n", "", 1))
    with pytest.raises(ReleaseError, match=r"must start with a '## Unreleased' section"):
        release("automm-match", repository)
    with pytest.raises(ReleaseError, match="Unknown package 'automm-nothing'"):
        release("automm-nothing", repository)
    assert _git(repository, "tag", "--list") == ""


def test_distributions_with_tests_artefacts_or_weights_are_refused(tmp_path: Path) -> None:
    wheel = tmp_path / "automm_x-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name in ("automm/x/__init__.py", "automm/x/testing/tiny.py", "automm_x-1.0.dist-info/METADATA",
                     "automm/x/tests/test_x.py", "automm/x/__pycache__/a.cpython-311.pyc", "automm/x/model.safetensors",
                     "automm_x.egg-info/PKG-INFO"):
            archive.writestr(name, "")
    assert [p.split(": ")[1] for p in wheel_problems(wheel)] == [
        "automm/x/tests/test_x.py", "automm/x/__pycache__/a.cpython-311.pyc", "automm/x/model.safetensors",
        "automm_x.egg-info/PKG-INFO"]
    sdist = tmp_path / "automm_x-1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        for name in ("automm_x-1.0/src/automm/x/__init__.py", "automm_x-1.0/tests/test_x.py",
                     "automm_x-1.0/build/lib/automm/x/__init__.py", "automm_x-1.0/src/automm_x.egg-info/PKG-INFO"):
            archive.addfile(tarfile.TarInfo(name), io.BytesIO(b""))
    assert [p.split(": ")[1] for p in sdist_problems(sdist)] == ["automm_x-1.0/build/lib/automm/x/__init__.py"]


def _core_at(repository: Path, version: str, tag: bool) -> None:
    pyproject = repository / "packages" / "automm-core" / "pyproject.toml"
    pyproject.parent.mkdir(parents=True, exist_ok=True)
    pyproject.write_text(f'[project]\nname = "automm-core"\nversion = "{version}"\n')
    _git(repository, "add", "-A")
    _git(repository, "commit", "-qm", f"core {version}")
    if tag:
        _git(repository, "tag", "-a", f"automm-core-v{version}", "-m", version)


def test_a_task_package_is_tested_against_the_oldest_core_release_it_accepts(repository: Path, tmp_path: Path) -> None:
    lowest = _tool("lowest")
    for version, tagged in (("0.7.0", True), ("0.8.0", True), ("0.8.1", True), ("0.9.0", False)):
        _core_at(repository, version, tagged)
    requirement = [str(r) for r in lowest.direct_requirements("automm-match", root=repository)
                   if r.name == "automm-core"]
    assert requirement == ["automm-core[train]<1,>=0.8"]
    assert lowest.oldest_core("automm-match", repository) == (lowest.Version("0.8.0"), "automm-core-v0.8.0")
    version, folder = lowest.core_source("automm-match", tmp_path / "out", repository)
    assert 'version = "0.8.0"' in (folder / "pyproject.toml").read_text()
    # a clone without tags: the last commit at each version of core's pyproject.toml
    for tag in _git(repository, "tag", "--list").split():
        _git(repository, "tag", "-d", tag)
    version, ref = lowest.oldest_core("automm-match", repository)
    assert version == lowest.Version("0.8.0") and ref == _git(repository, "rev-parse", "HEAD~2").strip()
    pyproject = repository / "packages" / "automm-match" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("automm-core[train]>=0.8,<1", "automm-core[train]>=2"))
    with pytest.raises(SystemExit, match=r"no automm-core release satisfies automm-match's requirement "
                                         r"'automm-core\[train\]>=2' \(releases found: 0.7.0, 0.8.0, 0.8.1, 0.9.0\)"):
        lowest.oldest_core("automm-match", repository)
