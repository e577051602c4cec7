"""Numeric and categorical columns -> model inputs, from processors.json's recipe (numpy + pandas only)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import DeployError

CATEGORY_STRINGS = "str-with-integral-floats-as-int"
NUMERICAL_TRANSFORMS = ("quantile_normal", "standard")


def numeric_values(series: pd.Series) -> np.ndarray:
    """Float64 values; NaN for anything missing, unparseable or infinite (numbers beyond float range too)."""
    try:
        parsed = pd.to_numeric(series, errors="coerce")
    except (OverflowError, TypeError):
        parsed = pd.to_numeric(series.map(_float_or_nan), errors="coerce")
    values = np.array(parsed.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
    values[~np.isfinite(values)] = np.nan
    return values


def _float_or_nan(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return float("nan")


def numerical(frame: pd.DataFrame, recipe: dict[str, Any]) -> np.ndarray:
    """``[rows, columns]`` float32: missing values get the column's median, then the recipe's transform."""
    if recipe.get("missing", "median") != "median":
        raise DeployError(f"numerical.missing {recipe['missing']!r} is a rule this automm-deploy does not know.")
    rule = recipe.get("transform", "standard")
    if rule not in NUMERICAL_TRANSFORMS:
        raise DeployError(f"numerical.transform {rule!r} is a rule this automm-deploy does not know.")
    values = np.column_stack([numeric_values(frame[c]) for c in recipe["columns"]])
    values = np.where(np.isnan(values), np.asarray(recipe["medians"]), values)
    if rule == "quantile_normal":
        scores = np.asarray(recipe["scores"], dtype=np.float64)
        return np.column_stack([_quantile_normal(values[:, i], np.asarray(knots, dtype=np.float64), scores)
                                for i, knots in enumerate(recipe["knots"])]).astype(np.float32)
    clip = float(recipe.get("clip", 10.0))
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = (values - np.asarray(recipe["means"])) / np.asarray(recipe["stds"])
    return np.clip(scaled, -clip, clip).astype(np.float32)


def _quantile_normal(values: np.ndarray, knots: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Values -> training-quantile probability (ties: the middle of their range) -> normal quantile (``scores``)."""
    probabilities = np.linspace(0.0, 1.0, len(scores))
    forward = np.interp(values, knots, probabilities)
    backward = -np.interp(-values, -knots[::-1], -probabilities[::-1])
    return np.interp(0.5 * (forward + backward), probabilities, scores)


def category_string(value: Any) -> str | None:
    """The category a cell names: None when missing; 1.0 and 1 are both "1"."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def categorical(frame: pd.DataFrame, recipe: dict[str, Any]) -> np.ndarray:
    """``[rows, columns]`` int64 ids: vocabulary entry ``i`` is ``i + 1``; missing and unseen values the unknown id."""
    if recipe.get("strings", CATEGORY_STRINGS) != CATEGORY_STRINGS:
        raise DeployError(f"categorical.strings {recipe['strings']!r} is a rule this automm-deploy does not know.")
    unknown = int(recipe.get("unknown_id", 0))
    out = np.full((len(frame), len(recipe["columns"])), unknown, dtype=np.int64)
    for i, (column, vocabulary) in enumerate(zip(recipe["columns"], recipe["vocabularies"])):
        lookup = {value: index + 1 for index, value in enumerate(vocabulary)}
        out[:, i] = [lookup.get(category_string(v), unknown) for v in frame[column].tolist()]
    return out
