"""Which classification/regression problem a label table is."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from automm.core.errors import InputError

REGRESSION_MIN_DISTINCT = 20  # integer labels with more distinct values than this are a regression


def infer_problem_type(labels: pd.DataFrame) -> str | None:
    """binary / multiclass / regression for one column; multilabel / multi_output_regression for several."""
    check_single_values(labels)
    if labels.shape[1] == 1:
        return _single(labels.iloc[:, 0])
    kinds = {column: _single(labels[column]) for column in labels.columns}
    if all(kind == "binary" for kind in kinds.values()):
        return "multilabel"
    if all(pd.api.types.is_numeric_dtype(labels[c]) and not pd.api.types.is_bool_dtype(labels[c]) for c in kinds):
        return "multi_output_regression"
    raise InputError(
        f"Label columns {list(labels.columns)} mix kinds {kinds}: several label columns must all be binary "
        "(multilabel) or all numeric (multi_output_regression). Pass problem_type=... to choose."
    )


def check_single_values(labels: pd.DataFrame) -> None:
    """Fail naming the first label cell that is a list, dict or array instead of one value."""
    for column in labels.columns:
        if labels[column].dtype != object:
            continue
        bad = ~labels[column].map(lambda v: isinstance(v, Hashable)).to_numpy(dtype=bool)
        if bad.any():
            position = int(bad.argmax())
            row, value = row_name(labels, position), labels[column].iloc[position]
            raise InputError(
                f"Label column {column!r} holds a {type(value).__name__} at row {row!r} ({str(value)[:50]}); each "
                "label must be one value such as a string or a number. For several labels per row, use one 0/1 "
                "column per label and problem_type='multilabel'."
            )


def row_name(labels: pd.DataFrame, position: int) -> Any:
    """The index label of the row at ``position``, as a plain Python value for messages."""
    name = labels.index[position]
    return name.item() if isinstance(name, np.generic) else name


def _single(column: pd.Series) -> str:
    values = column.dropna()
    distinct = values.nunique()
    if distinct < 2:
        raise InputError(
            f"Label column {column.name!r} has {distinct} distinct value(s) ({values.unique()[:3].tolist()}); "
            "at least two classes (or varying numbers) are needed to learn anything."
        )
    if pd.api.types.is_bool_dtype(column) or distinct == 2:
        return "binary"
    if pd.api.types.is_numeric_dtype(column):
        is_integer = bool((values.astype(float) % 1 == 0).all())
        if not is_integer or distinct > REGRESSION_MIN_DISTINCT:
            return "regression"
    return "multiclass"
