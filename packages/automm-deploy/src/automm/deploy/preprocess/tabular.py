"""Numeric and categorical columns -> model inputs, with ``automm.core.base.tabular`` (the predictor's own)."""

from __future__ import annotations

from typing import Any

from automm.core.base.tabular import CategoricalProcessor, NumericalProcessor

from ..errors import DeployError
from .rules import require_rules


def numerical_processor(recipe: dict[str, Any]) -> NumericalProcessor:
    """The processor of processors.json's "numerical" recipe (built once per load: it caches its arrays).

    Raises:
        DeployError: rules or a transform this runtime does not implement.
    """
    require_rules("numerical", recipe)
    try:
        return NumericalProcessor.from_json(recipe)
    except ValueError as err:
        raise DeployError(f"processors.json: {err}; this automm-deploy does not know it.") from err


def categorical_processor(recipe: dict[str, Any]) -> CategoricalProcessor:
    """The processor of processors.json's "categorical" recipe (built once per load: it caches its look-ups)."""
    require_rules("categorical", recipe)
    return CategoricalProcessor.from_json(recipe)

