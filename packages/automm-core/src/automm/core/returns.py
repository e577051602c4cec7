"""What ``predict`` / ``predict_proba`` return, following AutoGluon-MM's ``as_pandas`` and ``as_multiclass``."""

from __future__ import annotations

from typing import Any

import pandas as pd


def wants_pandas(data: Any, as_pandas: bool | None) -> bool:
    """``as_pandas`` when given; else numpy for a dict of columns (AutoGluon-MM's default, so
    ``predict_proba(rows)[0]`` is the first row) and pandas otherwise: a DataFrame, a path, and a list of images
    (object detection's table of boxes per image, as automm has always returned it)."""
    if as_pandas is not None:
        return bool(as_pandas)
    return not isinstance(data, dict)


def returned(result: Any, pandas: bool) -> Any:
    """``result`` as it is, or a pandas Series/DataFrame as a numpy array when ``pandas`` is False."""
    if pandas or not isinstance(result, (pd.Series, pd.DataFrame)):
        return result
    return result.to_numpy()


def positive_column(proba: pd.DataFrame, classes: list[Any] | None, as_multiclass: bool,
                    ) -> pd.DataFrame | pd.Series:
    """``proba`` as it is; with ``as_multiclass=False`` a two-class predictor's positive-class column alone (the
    second class, its last column)."""
    if as_multiclass or classes is None or len(classes) != 2 or list(proba.columns) != list(classes):
        return proba
    return proba.iloc[:, -1]
