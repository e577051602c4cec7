"""Numeric and categorical preprocessing: the torch-free transforms of ``automm.core.base.tabular``."""

from __future__ import annotations

from ..base.tabular import (
    CLIP,
    MAX_CATEGORIES,
    NUMERICAL_TRANSFORMS,
    UNKNOWN_ID,
    CategoricalProcessor,
    NumericalProcessor,
    column_values,
    normal_scores,
    parse_numbers,
    quantile_normal,
    to_numeric,
)

__all__ = ["CLIP", "MAX_CATEGORIES", "NUMERICAL_TRANSFORMS", "UNKNOWN_ID", "CategoricalProcessor",
           "NumericalProcessor", "column_values", "normal_scores", "parse_numbers", "quantile_normal", "to_numeric"]
