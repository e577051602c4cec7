from __future__ import annotations

import ast
import importlib.util
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from packaging.specifiers import SpecifierSet

from automm.core import discovery
from automm.core.discovery import plugin_for
from automm.core.errors import ConfigError, PluginAPIError, TaskNotInstalledError
from automm.core.tasks import Task, TaskPlugin


@pytest.mark.parametrize(("problem_type", "package"), [("object_detection", "automm-detect"),
                                                       ("semantic_segmentation", "automm-segment")])
def test_missing_task_package_is_named(problem_type: str, package: str) -> None:
    if importlib.util.find_spec(f"automm.{package.split('-')[1]}") is not None:
        pytest.skip(f"{package} is installed")
    with pytest.raises(TaskNotInstalledError, match=f"pip install {package}"):
        plugin_for(problem_type)


@pytest.mark.skipif(importlib.util.find_spec("automm.classify") is not None, reason="automm-classify is installed")
def test_classification_without_classify_installed() -> None:
    import pandas as pd

    from automm.core import MultiModalPredictor

    with pytest.raises(TaskNotInstalledError, match="pip install automm-classify"):
        MultiModalPredictor(label="y").fit(pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": ["a", "b", "a", "b"]}))


def test_unknown_problem_type_suggests() -> None:
    with pytest.raises(ConfigError, match='Did you mean "multiclass"'):
        plugin_for("multiclas")


class FakeEntryPoint:
    """An ``automm.tasks`` entry point of ``package`` whose ``load()`` calls ``load``."""

    def __init__(self, name: str, package: str, load: Callable[[], object]):
        self.name, self.value, self._load = name, f"{name}.plugin:PLUGIN", load
        self.dist = SimpleNamespace(name=package)

    def load(self) -> object:
        return self._load()


def _plugin(package: str, *problem_types: str) -> TaskPlugin:
    return TaskPlugin(package=package, version="1.0", tasks=dict.fromkeys(problem_types, Task))


def _broken() -> object:
    raise ImportError("undefined symbol: _ZN3c104cuda9SetDevice (ABI mismatch)")


@pytest.fixture
def fake_plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    def install(*eps: FakeEntryPoint) -> None:
        monkeypatch.setattr(discovery, "entry_points",
                            lambda group: list(eps) if group == discovery.ENTRY_POINT_GROUP else [])
        discovery.discover.cache_clear()

    yield install
    discovery.discover.cache_clear()


def test_a_broken_plugin_is_skipped_and_raised_only_when_asked_for(fake_plugins: Callable[..., None]) -> None:
    fake_plugins(FakeEntryPoint("detect", "automm-detect", _broken),
                 FakeEntryPoint("classify", "automm-classify", lambda: _plugin("automm-classify", "multiclass")))
    with pytest.warns(UserWarning, match="'detect'.*automm-detect.*ABI mismatch"):
        assert plugin_for("multiclass").package == "automm-classify"
    reinstall = "automm-detect, which is installed but failed to import.*ABI mismatch.*pip install --force-reinstall"
    with pytest.raises(TaskNotInstalledError, match=reinstall) as info:
        plugin_for("object_detection")
    assert isinstance(info.value.__cause__, ImportError)
    with pytest.raises(TaskNotInstalledError, match="pip install automm-segment"):  # not installed at all
        plugin_for("semantic_segmentation")


def test_an_entry_point_that_is_not_a_task_plugin_is_reported(fake_plugins: Callable[..., None]) -> None:
    fake_plugins(FakeEntryPoint("odd", "acme-tasks", lambda: "not a plugin"))
    with pytest.warns(UserWarning, match="'odd'.*acme-tasks.*not an automm.core.tasks.TaskPlugin"):
        assert discovery.installed_plugins() == ()
    with pytest.raises(ConfigError, match="odd.*acme-tasks failed to load"):
        plugin_for("acme_type")


@pytest.mark.parametrize("order", [1, -1], ids=["automm-first", "acme-first"])
def test_duplicate_problem_types_warn_and_resolve_by_package_name(fake_plugins: Callable[..., None],
                                                                  order: int) -> None:
    eps = [FakeEntryPoint("classify", "automm-classify", lambda: _plugin("automm-classify", "multiclass", "binary")),
           FakeEntryPoint("acme", "acme-classify", lambda: _plugin("acme-classify", "multiclass"))]
    fake_plugins(*eps[::order])
    with pytest.warns(UserWarning, match="'multiclass' is provided by both acme-classify and automm-classify; "
                                         "using acme-classify") as record:
        assert plugin_for("multiclass").package == "acme-classify"
    assert len(record) == 1
    assert plugin_for("binary").package == "automm-classify"


def test_saved_versions_come_from_the_installed_plugins(fake_plugins: Callable[..., None]) -> None:
    from automm.core.persistence import _versions

    fake_plugins(FakeEntryPoint("acme", "acme-tasks", lambda: TaskPlugin("acme-tasks", "9.9.9", {"acme": Task})))
    versions = _versions()
    assert versions["acme-tasks"] == "9.9.9" and "automm-core" in versions and "torch" in versions
    assert "automm-classify" not in versions  # installed, but not a plug-in in this (faked) environment


def test_core_names_no_plugin_and_checks_no_class_by_name() -> None:
    """Capabilities are declared by the task (class attributes), not decided in core by problem type or class name.

    Only the tables of discovery.py may name a plug-in's problem types: KNOWN_PROBLEM_TYPES (to say which package to
    install) and AutoGluon-MM's spellings (PROBLEM_TYPE_ALIASES, PROBLEM_TYPE_FAMILIES).
    """
    root = Path(discovery.__file__).parent
    named = set(discovery.KNOWN_PROBLEM_TYPES) | set(discovery.KNOWN_PROBLEM_TYPES.values())
    found = []
    for file in sorted(root.rglob("*.py")):
        tree = ast.parse(file.read_text())
        docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict) and file.name == "discovery.py":
                docstrings |= {id(k) for k in node.keys} | {id(v) for v in node.values}  # KNOWN_PROBLEM_TYPES
            if isinstance(node, ast.Constant) and node.value in named and id(node) not in docstrings:
                found.append(f"{file.name}:{node.lineno} names {node.value!r}")
            if isinstance(node, ast.Compare) and any(isinstance(n, ast.Attribute) and n.attr == "__name__"
                                                     for n in ast.walk(node)):
                found.append(f"{file.name}:{node.lineno} compares a class name")
    assert found == []


def test_a_plugin_is_refused_outside_the_plugin_api_it_declares(fake_plugins: Callable[..., None],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A minor plug-in API bump keeps a task package working; a major one refuses it at discovery, naming the
    package, the versions it works with and the installed core's (both versions), and what to install."""
    plugin = TaskPlugin("automm-detect", "0.4.0", {"object_detection": Task}, plugin_api=">=1.0,<2")
    fake_plugins(FakeEntryPoint("detect", "automm-detect", lambda: plugin))
    monkeypatch.setattr(discovery, "PLUGIN_API", "1.3")
    assert plugin_for("object_detection") is plugin
    discovery.discover.cache_clear()
    monkeypatch.setattr(discovery, "PLUGIN_API", "2.0")
    message = (r"automm-detect 0.4.0 works with automm-core's plug-in API >=1.0,<2, but the installed automm-core "
               r"\S+ has plug-in API 2.0. Upgrade it \(pip install -U automm-detect\)")
    with pytest.warns(UserWarning, match=message), \
            pytest.raises(PluginAPIError, match="Problem type 'object_detection' needs automm-detect: " + message):
        plugin_for("object_detection")


def test_a_plugin_api_that_is_no_version_specifier_is_refused(fake_plugins: Callable[..., None]) -> None:
    fake_plugins(FakeEntryPoint("acme", "acme-tasks", lambda: TaskPlugin("acme-tasks", "1.0", {"acme": Task},
                                                                         plugin_api="1.x")))
    with pytest.warns(UserWarning, match="acme-tasks 1.0 declares plugin_api='1.x', which is not a version specifier"):
        assert discovery.installed_plugins() == ()


def test_the_installed_task_packages_accept_the_next_core_releases_that_keep_the_plugin_api() -> None:
    """Core's feature releases force no task release: each installed task package's automm-core requirement spans
    every core version that keeps plug-in API 1 (core 0.x, README "Versions and releases"), and its plug-in declares
    the installed core's plug-in API."""
    from importlib.metadata import requires

    from packaging.requirements import Requirement

    for plugin in discovery.installed_plugins():
        if not plugin.package.startswith("automm-"):
            continue
        core = next(r for r in map(Requirement, requires(plugin.package) or []) if r.name == "automm-core")
        for later in ("0.8.0", "0.8.5", "0.9.0", "0.99.0"):
            assert core.specifier.contains(later), (plugin.package, str(core.specifier), later)
        assert not core.specifier.contains("1.0.0")  # plug-in API 2 comes with automm-core 1.0
        assert discovery.PLUGIN_API in SpecifierSet(plugin.plugin_api)
