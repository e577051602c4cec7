"""Small helpers for preparing tables, with AutoGluon-MM's names (``from automm.core.utils import path_expander``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import pandas as pd

from .errors import InputError


def path_expander(path: str, base_folder: str | os.PathLike[str]) -> str:
    """An image-path cell with each path made absolute against ``base_folder``; ``;``-separated lists too.

    Absolute paths stay as they are. Apply it to a column of relative paths after unpacking a dataset.

    Example:
        >>> table["image"] = table["image"].apply(lambda cell: path_expander(cell, base_folder="data/images"))
        >>> path_expander("a.jpg;b.jpg", "/data")
        '/data/a.jpg;/data/b.jpg'
    """
    if not isinstance(path, str):
        raise InputError(f"path_expander() expands one table cell holding path(s) as a string, got "
                         f"{type(path).__name__} {path!r}.")
    return ";".join(os.path.abspath(os.path.join(base_folder, part.strip())) for part in path.split(";"))


def apply_id_mappings(data: pd.DataFrame, id_mappings: Mapping[str, Mapping[Any, Any] | pd.Series],
                      role: str) -> pd.DataFrame:
    """``data`` with each column named in ``id_mappings`` holding the content its ids map to (AutoGluon-MM's
    ``id_mappings``: column -> {id: text or image path})."""
    data = data.copy()
    for column, mapping in id_mappings.items():
        if column not in data.columns:
            raise InputError(f"id_mappings names column {column!r}, which {role} does not have; its columns: "
                             f"{list(data.columns)[:20]}.")
        mapped = data[column].map(mapping)
        missing = mapped.isna() & data[column].notna()
        if missing.any():
            raise InputError(f"id_mappings[{column!r}] has no entry for id {data[column][missing].iloc[0]!r} of "
                             f"{role} (row {data.index[missing][0]!r}); add it or drop the row.")
        data[column] = mapped
    return data
