"""Fitted, JSON-describable preprocessing of numeric and categorical columns, numpy only (rule families
"numerical" and "categorical"): the torch predictor and the ONNX runtime both call these transforms."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cached_property
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray

from .cells import is_missing
from .rules import check_rule_version, versioned

ArrayLike = np.ndarray | ExtensionArray

# How numeric columns become features: "quantile_normal" maps values through their training quantiles onto a
# standard normal; "standard" is a z-score clipped at CLIP.
NUMERICAL_TRANSFORMS = ("quantile_normal", "standard")

CLIP = 10.0  # standardised values beyond this many standard deviations are clipped
ROWS_PER_KNOT, MIN_KNOTS, MAX_KNOTS = 30, 10, 1000  # quantile knots: one per 30 training rows, 10 to 1000
TAIL_PROBABILITY = 1e-7  # the outermost knots map to the normal quantiles of 1e-7 and 1 - 1e-7 (about +-5.2)
MAX_CATEGORIES = 1000  # per column; rarer values share the unknown id 0
UNKNOWN_ID = 0  # the categorical id of missing, rare and unseen values
FACTORIZE_ROWS = 32  # from this many cells a column's categories are looked up once per distinct value
_PLAIN_CELLS = {str, int, float, type(None), type(pd.NA)}


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


def normal_scores(count: int) -> list[float]:
    """The standard normal's quantiles at ``count`` evenly spaced probabilities from 0 to 1 (tails clipped)."""
    probabilities = np.clip(np.linspace(0.0, 1.0, count), TAIL_PROBABILITY, 1.0 - TAIL_PROBABILITY)
    return [NormalDist().inv_cdf(float(p)) for p in probabilities]


def quantile_normal(values: np.ndarray, knots: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """``values`` -> their training-quantile probability (``knots`` are the quantiles at ``len(scores)`` evenly
    spaced probabilities; where knots repeat, a tied value gets the middle of its probability range) -> the normal
    quantile there, interpolated between ``scores``."""
    return _QuantileMap.of(knots, scores)(values)


@dataclass(frozen=True)
class _QuantileMap:
    """``quantile_normal`` of one column with its arrays made beforehand (a processor builds them once)."""

    knots: np.ndarray
    scores: np.ndarray
    probabilities: np.ndarray
    reversed_knots: np.ndarray  # -knots[::-1]
    reversed_probabilities: np.ndarray  # -probabilities[::-1]

    @classmethod
    def of(cls, knots: np.ndarray, scores: np.ndarray) -> _QuantileMap:
        probabilities = np.linspace(0.0, 1.0, len(scores))
        return cls(knots, scores, probabilities, -knots[::-1], -probabilities[::-1])

    def __call__(self, values: np.ndarray) -> np.ndarray:
        forward = np.interp(values, self.knots, self.probabilities)
        backward = -np.interp(-values, self.reversed_knots, self.reversed_probabilities)
        return np.interp(0.5 * (forward + backward), self.probabilities, self.scores)


def column_values(data: pd.DataFrame, column: str) -> ArrayLike:
    """``data[column]``'s stored values, read-only, without building a Series.

    pandas' own accessor (``DataFrame._get_column_array``, in every pandas this package supports): a Series per
    column costs ~25 us, more than a single row's whole forward pass through a small tabular network.
    """
    getter = getattr(data, "_get_column_array", None)  # private: fall back to a Series should pandas drop it
    return data[column].array if getter is None else getter(data.columns.get_loc(column))


@dataclass(frozen=True)
class NumericalProcessor:
    """Median imputation, then ``transform`` (see ``NUMERICAL_TRANSFORMS``); one output feature per column.

    ``knots`` holds each column's training quantiles and ``scores`` the normal quantiles they map to
    ("quantile_normal"); ``means``, ``stds`` and ``clip`` serve "standard".
    """

    columns: list[str]
    medians: list[float]
    means: list[float]
    stds: list[float]
    clip: float = CLIP
    rule: str = "standard"
    knots: list[list[float]] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)

    @classmethod
    def fit(cls, data: pd.DataFrame, columns: list[str], rule: str = "quantile_normal") -> NumericalProcessor:
        if rule not in NUMERICAL_TRANSFORMS:
            raise ValueError(f"numerical transform {rule!r} is not one of {NUMERICAL_TRANSFORMS}")
        count = min(max(len(data) // ROWS_PER_KNOT, MIN_KNOTS), MAX_KNOTS)
        probabilities = np.linspace(0.0, 1.0, count)
        medians, means, stds, knots = [], [], [], []
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
            if rule == "quantile_normal":
                knots.append((np.quantile(filled, probabilities) * scale).tolist())
        scores = normal_scores(count) if rule == "quantile_normal" else []
        return cls(list(columns), medians, means, stds, rule=rule, knots=knots, scores=scores)

    def transform(self, data: pd.DataFrame) -> np.ndarray:
        """``[rows, columns]`` float32, column by column (a sub-table costs more than a single row's forward)."""
        values = np.column_stack([to_numeric(column_values(data, c)) for c in self.columns])
        values = np.where(np.isnan(values), np.asarray(self.medians), values)
        if self.rule == "quantile_normal":
            return np.column_stack([column(values[:, i]) for i, column in enumerate(self._maps)]).astype(np.float32)
        with np.errstate(over="ignore", invalid="ignore"):  # a huge value saturates at +-CLIP
            scaled = (values - np.asarray(self.means)) / np.asarray(self.stds)
        return np.clip(scaled, -self.clip, self.clip).astype(np.float32)

    @cached_property
    def _maps(self) -> list[_QuantileMap]:
        """Each column's quantile map, built once (a single row's predict would otherwise build the arrays)."""
        scores = np.asarray(self.scores, dtype=np.float64)
        return [_QuantileMap.of(np.asarray(k, dtype=np.float64), scores) for k in self.knots]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {**data, "transform": data.pop("rule"), **versioned("numerical")}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NumericalProcessor:
        """The processor ``data`` describes.

        Raises:
            RuleVersionError: rules of another version (see ``rules.check_rule_version``).
            ValueError: a transform this version does not implement.
        """
        check_rule_version("numerical", data)
        rule = data.get("transform", "standard")  # predictors saved before 0.3 standardised
        if rule not in NUMERICAL_TRANSFORMS:
            raise ValueError(f"numerical.transform {rule!r} is not a rule this version implements")
        return cls(data["columns"], data["medians"], data["means"], data["stds"], float(data.get("clip", CLIP)),
                   rule, data.get("knots", []), data.get("scores", []))


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
        """``[rows, columns]`` int64 ids (``category_ids`` per column)."""
        out = np.zeros((len(data), len(self.columns)), dtype=np.int64)
        for i, column in enumerate(self.columns):
            values = column_values(data, column)
            # The cells Series.astype(object) gives, up to which missing marker (each is UNKNOWN_ID), 10x faster.
            cells = values.astype(object) if isinstance(values, np.ndarray) else values.to_numpy(dtype=object)
            out[:, i] = category_ids(cells, self._lookups[i])
        return out

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), **versioned("categorical")}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CategoricalProcessor:
        """The processor ``data`` describes.

        Raises:
            RuleVersionError: rules of another version (see ``rules.check_rule_version``).
        """
        check_rule_version("categorical", data)
        return cls(data["columns"], data["vocabularies"])


def category_ids(cells: np.ndarray, lookup: dict[str, int]) -> np.ndarray | list[int]:
    """Each cell's id in ``lookup`` by its ``category_string`` (``UNKNOWN_ID`` when missing or not there).

    Many cells of plain values (str, int, float, None, NA) are looked up once per distinct value (``pd.factorize``:
    equal values of these types have the same category string, and its missing ones are ``is_missing``'s);
    anything else, and a few cells, one look-up per cell.
    """
    if len(cells) >= FACTORIZE_ROWS and set(map(type, cells)) <= _PLAIN_CELLS:
        codes, uniques = pd.factorize(cells)
        ids = np.array([lookup.get(category_string(u), UNKNOWN_ID) for u in uniques] + [UNKNOWN_ID], np.int64)
        return ids[codes]  # code -1 (missing) takes the last entry
    return [lookup.get(category_string(cell), UNKNOWN_ID) for cell in cells]


def _as_category_strings(series: pd.Series) -> pd.Series:
    """Categories compared as strings; 1 and 1.0 are the same category."""
    return series.astype(object).map(category_string)


def category_string(value: Any) -> str | None:
    """A cell as its category string: None when missing (None / NaN / NA), a float with an integral value
    written as an int (1.0 -> "1"), anything else ``str(value)``."""
    if is_missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)

