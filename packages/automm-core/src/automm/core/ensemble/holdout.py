"""The selection slice: validation rows that ensemble members do not early-stop on, kept for weighting them.

Greedy selection scored on the rows the members also early-stopped on picks weights that fit those rows' noise;
half of the validation rows (stratified as the holdout split is) is kept aside for the selection instead.
"""

from __future__ import annotations

import pandas as pd

from ..data.splitting import split_rows
from ..state import PredictorState

# Each half must have at least this many rows for its scores to mean something.
MIN_SELECTION_ROWS = 40
SELECTION_FRACTION = 0.5


def can_split(validation_rows: int) -> bool:
    """Whether ``validation_rows`` are enough for a stopping half and a selection half."""
    return validation_rows >= 2 * MIN_SELECTION_ROWS


def selection_split(state: PredictorState, val_rows: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows the members early-stop on, rows their weights are chosen on), split of ``val_rows``."""
    groups = state.task.stratify_key(val_rows[state.label_columns])
    return split_rows(val_rows, groups, SELECTION_FRACTION, seed)
