"""Task plug-in discovery: the ``automm.tasks`` entry points, checked against the plug-in API this core provides,
and which plug-in answers a problem type (with the package to install when none does)."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, PackageNotFoundError, entry_points, version
from typing import Any

import pandas as pd
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from .errors import ConfigError, PluginAPIError, TaskNotInstalledError
from .suggest import did_you_mean
from .tasks import PLUGIN_API, Task, TaskPlugin

ENTRY_POINT_GROUP = "automm.tasks"

# Which distribution provides each problem type, so a missing one can be named in the error.
KNOWN_PROBLEM_TYPES: dict[str, str] = {
    "binary": "automm-classify",
    "multiclass": "automm-classify",
    "regression": "automm-classify",
    "multilabel": "automm-classify",
    "multi_output_regression": "automm-classify",
    "ner": "automm-classify",
    "few_shot_classification": "automm-classify",
    "text_similarity": "automm-match",
    "image_similarity": "automm-match",
    "image_text_similarity": "automm-match",
    "zero_shot_image_classification": "automm-match",
    "feature_extraction": "automm-match",
    "object_detection": "automm-detect",
    "semantic_segmentation": "automm-segment",
}
# AutoGluon-MM's other spellings (matched lower-cased): another name of one task, or a family whose member the
# labels choose at fit, keyed by whether the one label column holds exactly two distinct values.
PROBLEM_TYPE_ALIASES: dict[str, str] = {"named_entity_recognition": "ner"}
PROBLEM_TYPE_FAMILIES: dict[str, dict[bool, str]] = {"classification": {True: "binary", False: "multiclass"}}



def distribution_version(name: str) -> str:
    """The installed version of distribution ``name`` ("0.0.0" when running from a source tree)."""
    try:
        return version(name)
    except PackageNotFoundError:
        return "0.0.0"


@dataclass(frozen=True)
class BrokenPlugin:
    """A task plug-in whose entry point failed to load: reported, skipped, raised again only when asked for."""

    entry_point: str  # "name = module:attribute"
    package: str | None  # the distribution that registered it, when known
    error: Exception


@dataclass(frozen=True)
class Discovery:
    """The task plug-ins found under ``ENTRY_POINT_GROUP``: those that load, and those that failed to."""

    plugins: tuple[TaskPlugin, ...]
    broken: tuple[BrokenPlugin, ...]


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def discover() -> Discovery:
    """Load every task plug-in once, in the order of their package names (so duplicates resolve the same way
    whatever the install order); a broken one is warned about and skipped, a duplicate problem type is warned
    about and kept by the first package."""
    plugins: list[TaskPlugin] = []
    broken: list[BrokenPlugin] = []
    found = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: (_normalized(_package(ep) or ""), ep.name))
    for ep in found:
        try:
            plugin = ep.load()
            if not isinstance(plugin, TaskPlugin):
                raise TypeError(f"it is a {type(plugin).__name__}, not an automm.core.tasks.TaskPlugin")
            check_plugin_api(plugin)
        except Exception as err:  # one broken plug-in (an ABI mismatch, say) must not stop the others
            broken.append(BrokenPlugin(f"{ep.name} = {ep.value}", _package(ep), err))
            warnings.warn(f"Task plug-in {ep.name!r} ({ep.value}) of {_package(ep) or 'an unknown package'} failed "
                          f"to load and is skipped: {err!r}. Its problem types are unavailable until it is "
                          "reinstalled.", stacklevel=2)
            continue
        _warn_duplicates(plugin, plugins)
        plugins.append(plugin)
    return Discovery(tuple(plugins), tuple(broken))


def check_plugin_api(plugin: TaskPlugin) -> None:
    """Raises PluginAPIError when this core's ``PLUGIN_API`` is outside the versions ``plugin`` works with."""
    try:
        supported = SpecifierSet(plugin.plugin_api)
    except InvalidSpecifier:
        raise PluginAPIError(f"{plugin.package} {plugin.version} declares plugin_api={plugin.plugin_api!r}, which is "
                             "not a version specifier such as '>=1.0,<2'; reinstall or upgrade it.") from None
    if PLUGIN_API not in supported:
        raise PluginAPIError(
            f"{plugin.package} {plugin.version} works with automm-core's plug-in API {plugin.plugin_api}, but the "
            f"installed automm-core {distribution_version('automm-core')} has plug-in API {PLUGIN_API}. Upgrade it "
            f"(pip install -U {plugin.package}), or install the automm-core its requirement names "
            f"(pip install {plugin.package} resolves it).")


def _package(ep: EntryPoint) -> str | None:
    return ep.dist.name if ep.dist is not None else None


def _warn_duplicates(plugin: TaskPlugin, earlier: list[TaskPlugin]) -> None:
    for other in earlier:
        for problem_type in sorted(set(plugin.tasks) & set(other.tasks)):
            warnings.warn(f"Problem type {problem_type!r} is provided by both {other.package} and {plugin.package}; "
                          f"using {other.package} (the first by package name). Uninstall one of them to silence "
                          "this warning.", stacklevel=3)


def installed_plugins() -> tuple[TaskPlugin, ...]:
    """The task plug-ins that loaded (see :func:`discover`)."""
    return discover().plugins


def plugin_for(problem_type: str) -> TaskPlugin:
    """The installed plug-in for ``problem_type``; names the package to install (or reinstall) when it is missing."""
    found = discover()
    for plugin in found.plugins:
        if problem_type in plugin.tasks:
            return plugin
    if problem_type in KNOWN_PROBLEM_TYPES:
        package = KNOWN_PROBLEM_TYPES[problem_type]
        for broken in found.broken:
            if broken.package is not None and _normalized(broken.package) == package:
                if isinstance(broken.error, PluginAPIError):
                    raise PluginAPIError(f"Problem type {problem_type!r} needs {package}: {broken.error}")
                raise TaskNotInstalledError(
                    f"Problem type {problem_type!r} needs {package}, which is installed but failed to import "
                    f"({broken.entry_point}): {broken.error!r}. Reinstall it: pip install --force-reinstall {package}"
                ) from broken.error
        raise TaskNotInstalledError(
            f"Problem type {problem_type!r} needs the package {package!r}, which is not installed. "
            f"Install it with: pip install {package}"
        )
    known = sorted(set(KNOWN_PROBLEM_TYPES) | set(PROBLEM_TYPE_FAMILIES) | {t for p in found.plugins for t in p.tasks})
    failed = "".join(f" Plug-in {b.entry_point} of {b.package} failed to load: {b.error!r}." for b in found.broken)
    raise ConfigError(f"Unknown problem_type {problem_type!r}.{did_you_mean(problem_type, known)} Known: {known}."
                      f"{failed}")


def task_class(problem_type: str) -> type[Task]:
    """The task class of ``problem_type``; a family name (``classification``) answers with its two-value member's."""
    name = PROBLEM_TYPE_FAMILIES[problem_type][True] if problem_type in PROBLEM_TYPE_FAMILIES else problem_type
    return plugin_for(name).tasks[name]


def canonical_problem_type(problem_type: str | None) -> str | None:
    """``problem_type`` lower-cased, with AutoGluon-MM's aliases (``named_entity_recognition``) replaced.

    Example:
        >>> canonical_problem_type("Named_Entity_Recognition")
        'ner'
    """
    if problem_type is None:
        return None
    if not isinstance(problem_type, str):
        raise ConfigError(f"problem_type must be a string such as 'multiclass', got {type(problem_type).__name__}.")
    name = problem_type.strip().lower()
    return PROBLEM_TYPE_ALIASES.get(name, name)


def fitted_problem_type(requested: str | None, labels: pd.DataFrame) -> str:
    """The problem type a fit uses: ``requested``; inferred from ``labels`` when None; a family's member chosen by
    the labels (``classification``: ``binary`` for two distinct values, else ``multiclass``)."""
    if requested is None:
        return infer_problem_type(labels)
    family = PROBLEM_TYPE_FAMILIES.get(requested)
    if family is None:
        return requested
    if labels.shape[1] != 1:
        raise ConfigError(f"problem_type={requested!r} takes one label column, got {list(labels.columns)}; for "
                          "several 0/1 label columns pass problem_type='multilabel'.")
    return family[bool(labels.iloc[:, 0].nunique(dropna=True) == 2)]


def read_rows(data: Any, role: str = "data", problem_type: str | None = None) -> pd.DataFrame:
    """``data`` as a table, in the formats ``problem_type`` accepts (CSV/parquet/DataFrame at least)."""
    if problem_type:
        return task_class(problem_type).read_data(data, role)
    from .data.ingest import read_table

    return read_table(data, role)


def infer_problem_type(labels: pd.DataFrame) -> str:
    """Ask each installed plug-in to recognise the labels; the first answer wins."""
    for plugin in installed_plugins():
        if plugin.infer_problem_type is not None:
            found = plugin.infer_problem_type(labels)
            if found is not None:
                return found
    broken = "".join(f" {b.package or b.entry_point} is installed but failed to import ({b.error!r}); reinstall it."
                     for b in discover().broken)
    if not installed_plugins():
        raise TaskNotInstalledError(
            "No task package is installed, so the problem type cannot be inferred. "
            f"For classification or regression: pip install automm-classify.{broken}"
        )
    raise ConfigError(
        f"Could not infer the problem type of label column(s) {list(labels.columns)}; pass problem_type=...{broken}"
    )
