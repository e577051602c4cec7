"""Which classification/regression problem a label table is."""

from __future__ import annotations

import pandas as pd

from automm.core.errors import InputError

REGRESSION_MIN_DISTINCT = 20  # integer labels with more distinct values than this are a regression


def infer_problem_type(labels: pd.DataFrame) -> str | None:
    """binary / multiclass / regression for one column; multilabel / multi_output_regression for several."""
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
