"""The class list of a detection fit: from the training boxes, or fixed by AutoGluon-MM's constructor arguments.

``MultiModalPredictor(problem_type="object_detection", ...)`` takes AutoGluon-MM's ``sample_data_path=`` (a COCO
file, a VOC folder or a DataFrame of ``image`` + ``rois``: its classes, in its order, with its COCO category ids),
``classes=`` (the class names, in order) and ``num_classes=`` (how many there are). Each is checked against the
others and against the training boxes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from automm.core.errors import ConfigError, InputError

from .ingest import read_detection_data


def class_list(labels: pd.DataFrame, arguments: Mapping[str, Any]) -> tuple[list[str], list[int] | None]:
    """(class names, COCO category ids or None for 1..n) of a fit on ``labels`` (its ``rois`` column).

    Raises:
        ConfigError: ``classes``, ``num_classes`` and ``sample_data_path`` disagree.
        InputError: A training box has a class outside the given class list.
    """
    rois = labels[labels.columns[0]]
    seen = sorted({str(b[4]) for boxes in rois.dropna() for b in boxes})
    categories = _sample_categories(arguments.get("sample_data_path"))
    if categories is None:
        categories = labels.attrs.get("categories") or []
    names = [str(name) for _, name in categories] or seen
    ids = [int(cid) for cid, _ in categories] if categories else None
    given = arguments.get("classes")
    if given is not None:
        if isinstance(given, str) or not all(isinstance(c, str) for c in given) or len(set(given)) != len(given):
            raise ConfigError(f"classes must be a list of distinct class names, got {given!r}.")
        if categories and set(given) != set(names):
            raise ConfigError(f"classes={list(given)} and the data's classes {names} differ; give one of them.")
        names, ids = list(given), _reorder(ids, names, list(given))
    unknown = sorted(set(seen) - set(names))
    if unknown:
        raise InputError(f"train_data has boxes of class(es) {unknown[:20]} outside the class list {names[:20]} "
                         "(classes= / sample_data_path=). Add them to the list or fix the boxes.")
    count = arguments.get("num_classes")
    if count is not None and count != len(names):
        raise ConfigError(f"num_classes={count!r} but there are {len(names)} classes ({names[:20]}). Pass the "
                          "number of classes the data has, or leave num_classes out (automm counts them).")
    return names, ids


def _sample_categories(sample: Any) -> list[list[Any]] | None:
    """``[[category_id, name], ...]`` of ``sample_data_path``; None when it is not given."""
    if sample is None:
        return None
    if isinstance(sample, pd.DataFrame):  # AutoGluon-MM: classes in order of first appearance, ids from 1
        frame = read_detection_data(sample, "sample_data_path")
        names = list(dict.fromkeys(str(b[4]) for boxes in frame["rois"].dropna() for b in boxes))
        return [[i + 1, name] for i, name in enumerate(names)]
    frame = read_detection_data(sample, "sample_data_path")
    categories = frame.attrs.get("categories")
    if categories:
        return list(categories)
    names = sorted({str(b[4]) for boxes in frame.get("rois", pd.Series(dtype=object)).dropna() for b in boxes})
    return [[i + 1, name] for i, name in enumerate(names)]


def _reorder(ids: list[int] | None, names: list[str], order: list[str]) -> list[int] | None:
    if ids is None:
        return None
    by_name = dict(zip(names, ids))
    return [by_name[name] for name in order]
