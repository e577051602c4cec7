"""Checks of matching inputs: every row needs text or a readable image on each side."""

from __future__ import annotations

import base64
import binascii
import io
from typing import Any

import pandas as pd
from PIL import Image, UnidentifiedImageError

from automm.core.errors import InputError
from automm.core.plugin import ColumnType, split_paths

MAX_ROWS_SHOWN = 5


def check_side_inputs(features: pd.DataFrame, sides: dict[str, list[str]], column_types: dict[str, str],
                      role: str) -> None:
    """Raise InputError naming the side, columns and first rows that have no usable content."""
    for side, names in sides.items():
        present = [c for c in names if c in features.columns]
        if not present:
            continue
        kinds = [ColumnType(column_types.get(c, ColumnType.TEXT.value)) for c in present]
        if all(k.is_image for k in kinds):
            usable = pd.concat([features[c].map(lambda cell, k=k: _readable(cell, k)) for c, k in zip(present, kinds)],
                               axis=1).any(axis=1)
            what = "no readable image"
        else:
            texts = features[[c for c, k in zip(present, kinds) if not k.is_image]]
            usable = texts.apply(lambda col: col.map(_has_text)).any(axis=1)
            what = "no text (empty or missing)"
        if not usable.all():
            bad = usable.index[~usable.to_numpy()]
            first = features.loc[bad[0], present[0]] if bad[0] in features.index else None
            raise InputError(f"{role}: {len(bad)} row(s) have {what} on the {side} side (columns {present}); rows "
                             f"{list(bad[:MAX_ROWS_SHOWN])}, e.g. {_preview(first)}. Fix or drop those rows: a "
                             "matcher cannot compare an empty side.")


def _has_text(cell: Any) -> bool:
    if cell is None or cell is pd.NA:
        return False
    if isinstance(cell, float):
        return cell == cell  # NaN is missing
    return bool(str(cell).strip())


def _readable(cell: Any, kind: ColumnType) -> bool:
    """True when at least one image of the cell opens (only the header is read)."""
    if cell is None or cell is pd.NA or (isinstance(cell, float) and cell != cell):
        return False
    if kind is ColumnType.IMAGE_PATH:
        sources: list[Any] = list(split_paths(cell))
    elif kind is ColumnType.IMAGE_BASE64:
        try:
            sources = [io.BytesIO(base64.b64decode(str(cell), validate=True))]
        except (binascii.Error, ValueError):
            return False
    else:
        sources = [io.BytesIO(bytes(cell))] if isinstance(cell, (bytes, bytearray)) else []
    for source in sources:
        try:
            with Image.open(source):
                return True
        except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
            continue
    return False


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
