"""Decoders and their JSON answers by name: the entry points of the registry's decoder tables, with core's own
decoders (``decoders``, ``boxes``, ``masks``) and answer encoders (``answers``) registered."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from automm.core.errors import ConfigError

from . import answers, boxes, decoders, masks  # noqa: F401  (they register core's decoders and answer encoders)
from .registry import ANSWER_ENCODERS, DECODERS, AnswerEncoder


def decoder_from_spec(spec: Mapping[str, Any]) -> Any:
    """The decoder ``spec`` describes: ``DECODERS[spec["decoder"]].from_spec(spec)``.

    Raises:
        ConfigError: the spec names no decoder, or one that no installed package registers.
    """
    name = spec.get("decoder") if isinstance(spec, Mapping) else None
    if not isinstance(name, str):
        raise ConfigError(f"A decoder spec must be an object with a \"decoder\" name, got {spec!r}.")
    module = spec.get("module")
    if name not in DECODERS and isinstance(module, str):
        try:
            importlib.import_module(module)
        except ImportError as err:
            raise ConfigError(f"Decoder {name!r} is registered by module {module!r}, which cannot be imported "
                              f"({err}). Install the package that provides it.") from None
    return DECODERS.get(name).from_spec(spec)


def answer_encoder(name: str) -> AnswerEncoder:
    """How the HTTP API answers with decoder ``name`` (a table of labels or values when it registers none)."""
    return ANSWER_ENCODERS.get(name) if name in ANSWER_ENCODERS else answers.table_answers
