"""The user's rows on their way to the network: read, keep the labelled ones, check the features, encode targets.

Plain functions of explicit inputs, shared by ``MultiModalPredictor``, the fitting layer, hyperparameter-search
trials and distillation.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

import numpy as np
import pandas as pd

from ..errors import InputError
from .ingest import require_columns, require_features


class RowTask(Protocol):
    """What these functions need of a task (``automm.core.tasks.Task`` has it; this module stays below tasks)."""

    target_columns: list[str] | None

    def check_inputs(self, features: pd.DataFrame, role: str) -> None: ...

    def encode(self, labels: pd.DataFrame) -> np.ndarray: ...

    def check_targets(self, rows: pd.DataFrame, targets: np.ndarray, role: str) -> None: ...

logger = logging.getLogger("automm")


def labelled_rows(data: pd.DataFrame, label_columns: list[str], role: str) -> pd.DataFrame:
    """Rows with a label, keeping the caller's index; a label column that is missing or empty is an error."""
    require_columns(data, label_columns, role, "the label given to MultiModalPredictor")
    if len(data) == 0:
        raise InputError(f"{role} has no rows.")
    present = data[label_columns].notna().all(axis=1).to_numpy()
    if not present.any():
        raise InputError(f"{role}: label column(s) {label_columns} have no values (all missing).")
    if not present.all():
        logger.warning("%s: dropping %d row(s) with a missing label.", role, int((~present).sum()))
    return data[present]


def feature_rows(frame: pd.DataFrame, feature_columns: list[str], task: RowTask, role: str,
                 realtime_max_rows: int, processors: Any = None, training: bool = False) -> pd.DataFrame:
    """The rows the processors read, checked: every feature column present and accepted by ``task``, and (given
    ``processors``) rows whose every image is unreadable reported (see ``check_images``)."""
    require_features(frame, feature_columns, role)
    # Processors read their columns by name: a few rows skip the sub-table (it costs more than their forward).
    features = frame if len(frame) <= realtime_max_rows else frame[feature_columns]
    task.check_inputs(features, role)
    check_images(processors, features, role, feature_columns, training)
    return features


def check_images(processors: Any, features: pd.DataFrame, role: str, feature_columns: list[str],
                 training: bool = False) -> None:
    """Warn about rows whose every image is unreadable; refuse rows of which none has a readable image when
    ``training`` (an image column with no readable image teaches nothing: its paths are wrong) or when the images
    are the only feature columns (nothing else to predict from). Otherwise the rows are predicted from their other
    columns, with the warning.

    Raises:
        InputError: no row of ``features`` has a readable image though some hold images (and one of the above).
    """
    image = getattr(processors, "image", None)
    if image is not None and len(features):
        image.check_rows(features, role, images_only=training or set(feature_columns) <= set(image.columns))


def encode_targets(task: RowTask, label_columns: list[str], rows: pd.DataFrame, role: str = "data") -> np.ndarray:
    """The task's encoding of the labels (a task may also read its input columns, e.g. to group pairs), checked
    against the rows' inputs (``Task.check_targets``; ``role`` names the table in its errors)."""
    wanted = task.target_columns if task.target_columns is not None else label_columns
    targets = task.encode(rows[wanted])
    task.check_targets(rows, targets, role)
    return targets
