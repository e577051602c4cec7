"""Presets: named, typed configurations that task packages provide per problem type."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from .config import Config
from .errors import ConfigError
from .suggest import did_you_mean
from .tasks import plugin_for, task_class

DEFAULT_PRESET = "medium_quality"
HPO_SUFFIX = "_hpo"  # "high_quality_hpo": the preset plus a default search (see automm.core.hpo.options)


def resolve(problem_type: str, name: str | None) -> Config:
    """The Config of preset ``name`` (default ``medium_quality``) for ``problem_type``.

    A preset without a ``task`` section of the problem type's own ``config_type`` gets that type's defaults.
    ``<name>_hpo`` is preset ``<name>``; ``fit`` adds its search space and settings (``automm.core.hpo``).
    """
    name = name or DEFAULT_PRESET
    name = name[: -len(HPO_SUFFIX)] if name.endswith(HPO_SUFFIX) else name
    presets = plugin_for(problem_type).presets
    if not presets and name == DEFAULT_PRESET:
        config = Config()
    elif name not in presets:
        raise ConfigError(f"Unknown preset {name!r}.{did_you_mean(name, presets)} Available: {sorted(presets)}")
    else:
        preset = presets[name]
        config = preset[problem_type] if isinstance(preset, Mapping) else preset
    task_config = task_class(problem_type).config_type
    if task_config is not None and not isinstance(config.task, task_config):
        config = replace(config, task=task_config())
    return config
