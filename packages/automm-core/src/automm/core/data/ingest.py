"""Read the user's table (DataFrame, CSV or parquet path) and check its shape."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..suggest import closest, did_you_mean


def read_table(data: pd.DataFrame | Mapping[str, Sequence[Any]] | str | Path, role: str = "data") -> pd.DataFrame:
    """Return a DataFrame with string column names.

    CSV, TSV, parquet and JSON-lines paths are read; a dict of equally long lists (column -> values) is
    accepted too, e.g. ``{"query": [...], "response": [...]}``.
    """
    if isinstance(data, (str, Path)):
        data = _read_path(Path(data), role)
    elif isinstance(data, Mapping):
        data = _from_columns(data, role)
    elif not isinstance(data, pd.DataFrame):
        raise InputError(
            f"{role} must be a pandas DataFrame, a dict of columns or a path to a CSV/parquet file, "
            f"got {type(data).__name__}."
        )
    if isinstance(data.columns, pd.MultiIndex):
        raise InputError(
            f"{role} has multi-level column names ({list(data.columns)[:3]}...); flatten them first, e.g. "
            "data.columns = ['_'.join(map(str, c)) for c in data.columns]."
        )
    strings = all(isinstance(c, str) for c in data.columns)
    if strings and data.columns.is_unique:  # the usual case, checked without building a new index
        return data
    duplicated = data.columns[data.columns.astype(str).duplicated()].astype(str).tolist()
    if duplicated:
        raise InputError(f"{role} has duplicate column names {duplicated}; rename them so each column is unique.")
    return data if strings else data.rename(columns=str)


def _from_columns(columns: Mapping[str, Sequence[Any]], role: str) -> pd.DataFrame:
    values = {str(k): [v] if isinstance(v, (str, bytes)) or not isinstance(v, Sequence | np.ndarray | pd.Series)
              else v for k, v in columns.items()}
    lengths = {name: len(v) for name, v in values.items()}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{name!r} has {n}" for name, n in lengths.items())
        raise InputError(f"{role}: the columns have different numbers of values ({detail}); each position is one row "
                         "(one pair for a matcher), so give every column the same number of values.")
    return pd.DataFrame(values)


def _read_path(path: Path, role: str) -> pd.DataFrame:
    if not path.exists():
        raise InputError(f"{role}: file {str(path)!r} does not exist.")
    if path.is_dir():
        raise InputError(f"{role}: {str(path)!r} is a directory; pass a CSV or parquet file.")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if suffix == ".jsonl":
            return pd.read_json(path, lines=True)
        return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise InputError(f"{role}: could not read {str(path)!r} as a table ({err}).") from err


def require_columns(data: pd.DataFrame, columns: list[str], role: str, why: str) -> None:
    """Fail naming the first missing column and the closest existing one."""
    for column in columns:
        if column not in data.columns:
            raise InputError(
                f"{role} has no column {column!r} ({why}).{did_you_mean(column, data.columns)} "
                f"Columns present: {list(data.columns)[:30]}"
            )


def require_features(data: pd.DataFrame, columns: list[str], role: str) -> None:
    """Fail naming every missing feature column, with the closest existing name for the first."""
    missing = [c for c in columns if c not in data.columns]
    if missing:
        unused = [c for c in data.columns if c not in columns]
        renamed = [f'"{match}" for {c!r}' for c in missing if (match := closest(c, unused)) is not None]
        hint = f" Did you mean {', '.join(renamed)}?" if renamed else ""
        raise InputError(
            f"{role} lacks column(s) {missing} that the predictor was trained on.{hint} "
            "Add them (with empty values if unknown: they are then treated as missing)."
        )
