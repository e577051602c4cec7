"""Column-type (modality) detection with overrides and a readable report."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

import numpy as np
import pandas as pd
from PIL import Image

from ..base.images import IMAGE_MAGIC, PATH_SEPARATOR, base64_bytes
from ..errors import InputError
from ..suggest import did_you_mean
from .tabular import parse_numbers

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")
SAMPLE_SIZE = 200
NER_TEXT_REASON = "set by column_types (text_ner: the text NER tags)"  # a NER task tags this text column
# AutoGluon-MM's type names that mean one of automm's: name -> (automm's type, the reason recorded)
SYNONYMS = {"image_bytearray": ("image_bytes", "set by column_types (image_bytearray)"),
            "image_base64_str": ("image_base64", "set by column_types (image_base64_str)"),
            "text_ner": ("text", NER_TEXT_REASON)}


class ColumnType(str, Enum):
    NUMERICAL = "numerical"
    CATEGORICAL = "categorical"
    TEXT = "text"
    IMAGE_PATH = "image_path"
    IMAGE_BYTES = "image_bytes"
    IMAGE_BASE64 = "image_base64"
    NULL = "null"  # all missing or constant: ignored
    IDENTIFIER = "identifier"  # a row id: ignored
    COORDINATES = "coordinates"  # per-row pixel coordinates a task reads itself (segmentation point/box prompts)

    @property
    def is_image(self) -> bool:
        return self in (ColumnType.IMAGE_PATH, ColumnType.IMAGE_BYTES, ColumnType.IMAGE_BASE64)

    @property
    def is_used(self) -> bool:
        return self not in (ColumnType.NULL, ColumnType.IDENTIFIER)


@dataclass(frozen=True)
class ColumnDecision:
    column: str
    type: ColumnType
    reason: str


def detect_column_types(
    data: pd.DataFrame, exclude: list[str], overrides: Mapping[str, str] | None = None
) -> dict[str, ColumnDecision]:
    """Decide the modality of every feature column; ``overrides`` (column -> type name) win."""
    if overrides is not None and not isinstance(overrides, Mapping):
        raise InputError(f"column_types must map column names to types, got {type(overrides).__name__}.")
    overrides = dict(overrides or {})
    features = [c for c in data.columns if c not in exclude]
    for column in overrides:
        if column in exclude:
            raise InputError(f"column_types names {column!r}, which is a label column; give types to features only.")
        if column not in features:
            raise InputError(
                f"column_types names column {column!r}, which is not a feature column.{did_you_mean(column, features)}"
            )
    decisions = {}
    for column in features:
        if column in overrides:
            name = overrides[column]
            kind, reason = SYNONYMS.get(name, (name, "set by column_types")) if isinstance(name, str) else (name, "")
            decisions[column] = ColumnDecision(column, _parse_type(kind, column), reason)
        else:
            decisions[column] = _detect(data[column], column)
    return decisions


def _parse_type(name: str, column: str) -> ColumnType:
    names = [t.value for t in ColumnType if t is not ColumnType.COORDINATES]
    if isinstance(name, str) and name.startswith("document"):
        raise InputError(f"column_types[{column!r}] = {name!r}: AutoGluon-MM's document types (scanned pages read "
                         "by a layout model) have no counterpart, automm has no document modality. Give the page "
                         f"images as {column!r}: 'image_path' and their OCR text as another column typed 'text'.")
    if name not in names:
        raise InputError(
            f"column_types[{column!r}] = {name!r} is not a column type.{did_you_mean(name, [*names, *SYNONYMS])} "
            f"Valid: {names}, and AutoGluon-MM's {list(SYNONYMS)}"
            + (" (prompt coordinates are named by the task's settings, e.g. task.box_column)"
               if name == ColumnType.COORDINATES.value else "")
        )
    return ColumnType(name)


def _detect(series: pd.Series, column: str) -> ColumnDecision:
    values = series.dropna()
    if not pd.api.types.is_numeric_dtype(values):
        values = values[~values.map(_is_blank).astype(bool)]
    if len(values) == 0:
        return ColumnDecision(column, ColumnType.NULL, "all values are missing or empty strings")
    sample = values.sample(min(SAMPLE_SIZE, len(values)), random_state=0)
    if isinstance(sample.iloc[0], (bytes, bytearray)):
        if all(isinstance(v, (bytes, bytearray)) and bytes(v[:4]).startswith(IMAGE_MAGIC) for v in sample):
            return ColumnDecision(column, ColumnType.IMAGE_BYTES, "raw bytes with image headers")
        return ColumnDecision(column, ColumnType.NULL, "bytes that are not images: ignored")
    if all(isinstance(v, Image.Image) or (isinstance(v, np.ndarray) and v.dtype != object and v.ndim in (2, 3))
           for v in sample):
        return ColumnDecision(column, ColumnType.IMAGE_BYTES, "PIL images or pixel arrays (read like image bytes)")
    if _nunique(values) <= 1:
        return ColumnDecision(column, ColumnType.NULL, f"one constant value ({str(values.iloc[0])[:30]!r})")
    if pd.api.types.is_bool_dtype(series):
        return ColumnDecision(column, ColumnType.CATEGORICAL, "boolean")
    if pd.api.types.is_numeric_dtype(series):
        return _detect_numeric(values, column)
    strings = sample.astype(str)
    if _share(strings, _looks_like_image_paths) >= 0.8:
        return ColumnDecision(column, ColumnType.IMAGE_PATH, "values are image file paths")
    if _share(strings, _looks_like_base64_image) >= 0.8:
        return ColumnDecision(column, ColumnType.IMAGE_BASE64, "values are base64-encoded images")
    numeric = parse_numbers(values)
    if numeric.notna().mean() >= 0.9 and _nunique(numeric.dropna()) > 1:
        return ColumnDecision(column, ColumnType.NUMERICAL, "text that parses as numbers")
    return _detect_text_or_category(values.astype(str), column)


def _is_blank(value: object) -> bool:
    """An empty or whitespace-only string counts as missing."""
    return isinstance(value, str) and not value.strip()


def _nunique(values: pd.Series) -> int:
    try:
        return int(values.nunique())
    except TypeError:  # unhashable cells such as lists
        return int(values.astype(str).nunique())


def _detect_numeric(values: pd.Series, column: str) -> ColumnDecision:
    as_float = values.astype(float)
    diffs = np.diff(as_float.to_numpy())
    if len(values) >= 20 and (as_float % 1 == 0).all() and len(diffs) and (diffs == 1).all():
        return ColumnDecision(column, ColumnType.IDENTIFIER, "consecutive integers, one per row (a row id)")
    return ColumnDecision(column, ColumnType.NUMERICAL, "numeric values")


def _detect_text_or_category(values: pd.Series, column: str) -> ColumnDecision:
    words = values.str.split().str.len().mean()
    unique_ratio = values.nunique() / len(values)
    if words >= 3 or (unique_ratio > 0.5 and values.str.len().mean() > 20):
        return ColumnDecision(column, ColumnType.TEXT, f"free text ({words:.1f} words on average)")
    if len(values) >= 20 and unique_ratio == 1.0 and not values.str.contains(" ").any():
        return ColumnDecision(column, ColumnType.IDENTIFIER, "a distinct short code on every row (an id)")
    return ColumnDecision(column, ColumnType.CATEGORICAL, f"{values.nunique()} distinct short values")


def _share(values: pd.Series, predicate) -> float:
    return float(np.mean([predicate(v) for v in values]))


def split_paths(cell: str) -> list[str]:
    """Image paths in one cell, separated by ';'."""
    return [p.strip() for p in str(cell).split(PATH_SEPARATOR) if p.strip()]


def _looks_like_image_paths(cell: str) -> bool:
    paths = split_paths(cell)
    return bool(paths) and all(p.lower().endswith(IMAGE_EXTENSIONS) or os.path.isfile(p) for p in paths)


def _looks_like_base64_image(cell: str) -> bool:
    """Base64 of an image file, optionally a ``data:image/...;base64,`` URI."""
    if len(cell) < 32:
        return False
    head = cell.partition(",")[2] if cell.startswith("data:") else cell
    data = base64_bytes(head[:64])
    return data is not None and data.getvalue().startswith(IMAGE_MAGIC)


def describe_column_types(decisions: Mapping[str, ColumnDecision]) -> str:
    """A readable table of what was detected and why."""
    width = max([len("column"), *(len(str(c)) for c in decisions)])
    lines = [f"{'column':<{width}}  {'type':<13} reason"]
    for d in decisions.values():
        used = "" if d.type.is_used else " (not used)"
        lines.append(f"{str(d.column):<{width}}  {d.type.value:<13} {d.reason}{used}")
    return "\n".join(lines)
