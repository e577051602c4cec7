"""Holdout split for validation, stratified when the task gives groups."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ConfigError, InputError


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


def split_rows(data: pd.DataFrame, groups: np.ndarray | None, holdout_frac: float | None, seed: int,
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training rows, validation rows) of labelled ``data``, ``holdout_frac`` of it (default: by size) held out,
    stratified by ``groups`` (the task's ``stratify_key``, or None)."""
    if len(data) < 2:
        raise InputError(f"train_data has {len(data)} labelled row(s); at least 2 are needed to train.")
    fraction = holdout_frac if holdout_frac is not None else default_holdout_fraction(len(data))
    if not 0 < fraction < 1:
        raise ConfigError(f"holdout_frac must be between 0 and 1, got {fraction!r}.")
    train_rows, val_rows = holdout_split(len(data), fraction, groups, seed)
    return data.iloc[train_rows], data.iloc[val_rows]


def cap_rows(rows: pd.DataFrame, cap: int, seed: int) -> pd.DataFrame:
    """At most ``cap`` of ``rows`` (a random sample; 0 means no cap): validation cost stays bounded."""
    return rows.sample(cap, random_state=seed) if cap and len(rows) > cap else rows
