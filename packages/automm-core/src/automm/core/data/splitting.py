"""Holdout split for validation, stratified when the task gives groups."""

from __future__ import annotations

import numpy as np


def holdout_split(rows: int, fraction: float, groups: np.ndarray | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row positions (train, validation); every group with two or more rows keeps one in train.

    When every group has a single row (e.g. each class appears once), stratifying would leave no validation row,
    so the split falls back to an unstratified one: two rows always give a non-empty train and validation set.
    """
    rng = np.random.default_rng(seed)
    if groups is None:
        groups = np.zeros(rows, dtype=np.int64)
    elif rows >= 2 and len(np.unique(groups)) == rows:
        return holdout_split(rows, fraction, None, seed)
    validation = []
    for group in np.unique(groups):
        members = rng.permutation(np.flatnonzero(groups == group))
        take = int(round(len(members) * fraction))
        take = min(max(take, 1 if len(members) > 1 else 0), len(members) - 1)
        validation.extend(members[:take].tolist())
    validation_positions = np.sort(np.asarray(validation, dtype=np.int64))
    train_positions = np.setdiff1d(np.arange(rows), validation_positions)
    return train_positions, validation_positions


def default_holdout_fraction(rows: int) -> float:
    """10% up to 1,000 validation rows, at least 20% of a small table."""
    if rows <= 500:
        return 0.2
    return min(0.1, 1000 / rows)
