"""Presets: named, typed configurations that task packages provide per problem type."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from .config import Config
from .discovery import plugin_for, task_class
from .errors import ConfigError
from .suggest import did_you_mean

# automm's default; AutoGluon-MM's is high_quality (a deliberate difference: this one needs no model hub).
DEFAULT_PRESET = "medium_quality"
# AutoGluon-MM's "multilingual": the default preset with a multilingual text backbone (it downloads at fit time).
MULTILINGUAL = "multilingual"
MULTILINGUAL_TEXT = "microsoft/mdeberta-v3-base"
HPO_SUFFIX = "_hpo"  # "high_quality_hpo": the preset plus a default search (see automm.core.hpo.options)


def resolve(problem_type: str, name: str | None) -> Config:
    """The Config of preset ``name`` (default ``medium_quality``) for ``problem_type``.

    A preset without a ``task`` section of the problem type's own ``config_type`` gets that type's defaults.
    ``<name>_hpo`` is preset ``<name>``; ``fit`` adds its search space and settings (``automm.core.hpo``).
    """
    name = name or DEFAULT_PRESET
    name = name[: -len(HPO_SUFFIX)] if name.endswith(HPO_SUFFIX) else name
    presets = plugin_for(problem_type).presets
    if name == MULTILINGUAL and name not in presets:
        return _multilingual(problem_type)
    if not presets and name == DEFAULT_PRESET:
        config = Config()
    elif name not in presets:
        known = sorted({*presets, *((MULTILINGUAL,) if "model.text" in task_class(problem_type).config_sections
                                    else ())})
        raise ConfigError(f"Unknown preset {name!r}.{did_you_mean(name, known)} Available: {known}")
    else:
        preset = presets[name]
        config = preset[problem_type] if isinstance(preset, Mapping) else preset
    task_config = task_class(problem_type).config_type
    if task_config is not None and not isinstance(config.task, task_config):
        config = replace(config, task=task_config())
    return config


def _multilingual(problem_type: str) -> Config:
    """The task's default preset reading text with ``MULTILINGUAL_TEXT``, for tasks whose networks read text."""
    if "model.text" not in task_class(problem_type).config_sections:
        raise ConfigError(f"Preset {MULTILINGUAL!r} sets the text backbone, which problem_type {problem_type!r} "
                          f"does not read. Use presets={DEFAULT_PRESET!r} or another of its presets.")
    config = resolve(problem_type, DEFAULT_PRESET)
    text = replace(config.model.text, checkpoint=MULTILINGUAL_TEXT)
    return replace(config, model=replace(config.model, text=text))
