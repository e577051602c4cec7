"""Fitted, JSON-describable preprocessing of numeric and categorical columns (numpy only)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray

ArrayLike = np.ndarray | ExtensionArray

CLIP = 10.0  # standardised values beyond this many standard deviations are clipped
MAX_CATEGORIES = 1000  # per column; rarer values share the unknown id 0
UNKNOWN_ID = 0  # the categorical id of missing, rare and unseen values
# How a cell becomes a category string (a name a numpy runtime implements): None / NaN / NA are missing, a float
# with an integral value is written as an int (1.0 -> "1"), anything else is str(value).
CATEGORY_STRINGS = "str-with-integral-floats-as-int"


def parse_numbers(series: pd.Series) -> pd.Series:
    """``pd.to_numeric`` with NaN for anything unparseable, Python ints beyond float range included."""
    try:
        return pd.to_numeric(series, errors="coerce")
    except (OverflowError, TypeError):
        return pd.to_numeric(series.map(_float_or_nan), errors="coerce")


def _float_or_nan(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return float("nan")


def to_numeric(column: pd.Series | ArrayLike) -> np.ndarray:
    """Float64 values with NaN for anything missing, unparseable or infinite (a copy: the caller may write to it)."""
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "biuf":  # already numbers: no pandas parsing
        values = np.array(column, dtype=np.float64)
    else:
        series = column if isinstance(column, pd.Series) else pd.Series(column, dtype=column.dtype)
        values = np.array(parse_numbers(series).to_numpy(dtype=np.float64, na_value=np.nan))
    values[~np.isfinite(values)] = np.nan
    return values


def column_values(data: pd.DataFrame, column: str) -> ArrayLike:
    """``data[column]``'s stored values, read-only, without building a Series.

    pandas' own accessor (``DataFrame._get_column_array``, in every pandas this package supports): a Series per
    column costs ~25 us, more than a single row's whole forward pass through a small tabular network.
    """
    return data._get_column_array(data.columns.get_loc(column))


@dataclass(frozen=True)
class NumericalProcessor:
    """Median imputation, standardisation and clipping to ``[-clip, clip]``; one output feature per column."""

    columns: list[str]
    medians: list[float]
    means: list[float]
    stds: list[float]
    clip: float = CLIP

    @classmethod
    def fit(cls, data: pd.DataFrame, columns: list[str]) -> NumericalProcessor:
        medians, means, stds = [], [], []
        for column in columns:
            values = to_numeric(data[column])
            finite = values[~np.isnan(values)]
            # Statistics of values divided by the largest magnitude, so values near 1e308 cannot overflow.
            scale = float(np.abs(finite).max(initial=0.0)) or 1.0
            median = float(np.median(finite / scale)) * scale if len(finite) else 0.0
            filled = np.where(np.isnan(values), median, values) / scale
            std = float(filled.std()) * scale
            medians.append(median)
            means.append(float(filled.mean()) * scale)
            stds.append(std if std > 1e-12 and np.isfinite(std) else 1.0)
        return cls(list(columns), medians, means, stds)

    def transform(self, data: pd.DataFrame) -> np.ndarray:
        """``[rows, columns]`` float32, column by column (a sub-table costs more than a single row's forward)."""
        values = np.column_stack([to_numeric(column_values(data, c)) for c in self.columns])
        values = np.where(np.isnan(values), np.asarray(self.medians), values)
        with np.errstate(over="ignore", invalid="ignore"):  # a huge value saturates at +-CLIP
            scaled = (values - np.asarray(self.means)) / np.asarray(self.stds)
        return np.clip(scaled, -self.clip, self.clip).astype(np.float32)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "missing": "median"}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NumericalProcessor:
        if data.get("missing", "median") != "median":
            raise ValueError(f"numerical.missing {data['missing']!r} is not a rule this version implements")
        return cls(data["columns"], data["medians"], data["means"], data["stds"], float(data.get("clip", CLIP)))


@dataclass(frozen=True)
class CategoricalProcessor:
    """Per-column vocabularies; id 0 (``UNKNOWN_ID``) is the bucket for missing, rare and unseen values, and
    vocabulary entry ``i`` has id ``i + 1``."""

    columns: list[str]
    vocabularies: list[list[str]]

    @classmethod
    def fit(cls, data: pd.DataFrame, columns: list[str]) -> CategoricalProcessor:
        vocabularies = []
        for column in columns:
            counts = _as_category_strings(data[column]).dropna().value_counts()
            vocabularies.append(sorted(counts.index[:MAX_CATEGORIES].tolist()))
        return cls(list(columns), vocabularies)

    @cached_property
    def _lookups(self) -> list[dict[str, int]]:
        """Value -> id per column, built once (frozen dataclasses still allow cached properties)."""
        return [{value: index + 1 for index, value in enumerate(v)} for v in self.vocabularies]

    @property
    def cardinalities(self) -> list[int]:
        """Embedding table sizes, unknown bucket included."""
        return [len(v) + 1 for v in self.vocabularies]

    def transform(self, data: pd.DataFrame) -> np.ndarray:
        """``[rows, columns]`` int64 ids, one dict look-up per cell."""
        out = np.zeros((len(data), len(self.columns)), dtype=np.int64)
        for i, column in enumerate(self.columns):
            lookup = self._lookups[i]
            values = column_values(data, column)
            # The cells Series.astype(object) gives, up to which missing marker (each is UNKNOWN_ID), 10x faster.
            cells = values.astype(object) if isinstance(values, np.ndarray) else values.to_numpy(dtype=object)
            out[:, i] = [lookup.get(_category_string(cell), UNKNOWN_ID) for cell in cells]
        return out

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "unknown_id": UNKNOWN_ID, "strings": CATEGORY_STRINGS}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CategoricalProcessor:
        rules = (data.get("unknown_id", UNKNOWN_ID), data.get("strings", CATEGORY_STRINGS))
        if rules != (UNKNOWN_ID, CATEGORY_STRINGS):
            raise ValueError("categorical.unknown_id / categorical.strings name rules this version does not implement")
        return cls(data["columns"], data["vocabularies"])


def _as_category_strings(series: pd.Series) -> pd.Series:
    """Categories compared as strings; 1 and 1.0 are the same category."""
    return series.astype(object).map(_category_string)


def _category_string(value: Any) -> str | None:
    """A cell as its category string (``CATEGORY_STRINGS``); None when missing."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)

