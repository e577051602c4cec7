"""Small helpers for preparing tables, with AutoGluon-MM's names (``from automm.core.utils import path_expander``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import pandas as pd

from .errors import ConfigError, InputError


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


def apply_id_mappings(data: pd.DataFrame, id_mappings: Mapping[str, Any] | None, role: str = "data") -> pd.DataFrame:
    """``data`` with the ids in each column named in ``id_mappings`` replaced by their content (AutoGluon-MM's
    ``id_mappings``: column -> {id: text or image path}, a dict or a Series).

    Columns ``data`` does not have are skipped: one mapping serves the query, response and labelled tables alike.
    An id missing from its mapping is an InputError naming the column, the id and the row.
    """
    if not id_mappings:
        return data
    if not isinstance(id_mappings, Mapping):
        raise ConfigError(f"id_mappings must map a column name to a dict (or Series) of id -> content, got "
                          f"{type(id_mappings).__name__}.")
    data = data.copy()
    for column, mapping in id_mappings.items():
        if column not in data.columns:
            continue
        lookup = mapping.to_dict() if isinstance(mapping, pd.Series) else dict(mapping)
        missing = ~data[column].isin(list(lookup)) & data[column].notna()
        if missing.any():
            raise InputError(f"id_mappings[{column!r}] has no entry for id {data[column][missing].iloc[0]!r} of "
                             f"{role} (row {data.index[missing][0]!r}; {int(missing.sum())} such rows); add the "
                             "ids to the mapping or drop those rows.")
        data[column] = data[column].map(lookup)
    return data
