"""Numeric and categorical columns -> model inputs, with ``automm.core.base.tabular`` (the predictor's own)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

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


def numerical(frame: pd.DataFrame, recipe: dict[str, Any]) -> np.ndarray:
    """``[rows, columns]`` float32: missing values get the column's median, then the recipe's transform."""
    return numerical_processor(recipe).transform(frame)


def categorical(frame: pd.DataFrame, recipe: dict[str, Any]) -> np.ndarray:
    """``[rows, columns]`` int64 ids: vocabulary entry ``i`` is ``i + 1``; missing and unseen values the unknown id."""
    return categorical_processor(recipe).transform(frame)
