"""Regression of one or several numeric label columns (targets standardised while training)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from automm.core.base.decoders import ValuesDecoder
from automm.core.errors import InputError
from automm.core.plugin import Task, to_numeric

from . import metrics as metric_table
from .config import RegressionConfig
from .inference import row_name
from .losses import RegressionLoss


class RegressionTask(Task):
    """``regression`` (one column) and ``multi_output_regression`` (several)."""

    config_type = RegressionConfig
    has_proba: ClassVar[bool] = False  # predictions are numbers, not classes
    distillable: ClassVar[bool] = True  # soft-label loss: core's default, MSE to the teacher's outputs
    ensemble_combine = "mean"  # an ensemble averages the members' (standardised) outputs
    metric_names = {"regression": metric_table.REGRESSION_NAMES,
                    "multi_output_regression": metric_table.REGRESSION_NAMES}
    modalities = {"regression": metric_table.TABLE_MODALITIES,
                  "multi_output_regression": metric_table.TABLE_MODALITIES}

    def __init__(self, problem_type: str, columns: list[str], means: list[float], stds: list[float]):
        self.problem_type, self.columns, self.means, self.stds = problem_type, columns, means, stds

    @classmethod
    def fit(cls, labels: pd.DataFrame, problem_type: str,
            arguments: Mapping[str, Any] | None = None) -> RegressionTask:
        means, stds = [], []
        for column in labels.columns:
            values = to_numeric(labels[column])
            bad = np.isnan(values) & labels[column].notna().to_numpy()
            if bad.any():
                row = int(np.argmax(bad))
                raise InputError(f"Regression label column {column!r} has a non-numeric or infinite value "
                                 f"{labels[column].iloc[row]!r} at row {row_name(labels, row)!r}; fix or drop "
                                 "those rows.")
            if np.nanmin(values) == np.nanmax(values):
                raise InputError(f"Regression label column {column!r} has the same value "
                                 f"{float(np.nanmin(values))!r} on every row; varying numbers are needed to learn.")
            # Statistics of values divided by the largest magnitude, so labels near 1e308 cannot overflow to inf.
            scale = float(np.nanmax(np.abs(values))) or 1.0
            std = float(np.nanstd(values / scale)) * scale
            means.append(float(np.nanmean(values / scale)) * scale)
            stds.append(std if std > 1e-12 else 1.0)
        return cls(problem_type, [str(c) for c in labels.columns], means, stds)

    @classmethod
    def from_json(cls, state: Mapping[str, Any]) -> RegressionTask:
        return cls(state["problem_type"], list(state["columns"]), list(state["means"]), list(state["stds"]))

    def to_json(self) -> dict[str, Any]:
        return {"problem_type": self.problem_type, "columns": self.columns, "means": self.means, "stds": self.stds}

    @property
    def output_size(self) -> int:
        return len(self.columns)

    def encode(self, labels: pd.DataFrame) -> np.ndarray:
        values = np.stack([to_numeric(labels[c]) for c in self.columns], axis=1)
        if np.isnan(values).any():
            row, col = map(int, np.argwhere(np.isnan(values))[0])
            raise InputError(f"Label column {self.columns[col]!r} is missing or not numeric at row "
                             f"{row_name(labels, row)!r}: {labels[self.columns[col]].iloc[row]!r}. Fix or drop "
                             "those rows.")
        return ((values - self.means) / self.stds).astype(np.float32)

    def decoder_spec(self) -> dict[str, Any]:
        """The values decoder (``automm.core.base.decoders.ValuesDecoder``): outputs * std + mean per column."""
        return {"decoder": "values", "columns": self.columns, "means": self.means, "stds": self.stds,
                "series": self.problem_type == "regression"}

    def decoder(self) -> ValuesDecoder:
        return ValuesDecoder(self.columns, self.means, self.stds, self.problem_type == "regression")

    def _decode(self, outputs: np.ndarray) -> np.ndarray:
        return self.decoder().values(outputs)

    def soft_targets(self, teacher: Task, outputs: np.ndarray) -> np.ndarray:
        """The teacher's outputs in its label units, standardised with this task's statistics."""
        values = np.asarray(outputs).reshape(len(outputs), len(self.columns))
        decoded = teacher._decode(values) if isinstance(teacher, RegressionTask) else values
        return ((decoded - self.means) / self.stds).astype(np.float32)

    def loss(self, optim: Any, task_config: RegressionConfig):
        return RegressionLoss(task_config.loss)

    def predict(self, logits: np.ndarray, index: pd.Index) -> pd.Series | pd.DataFrame:
        return self.decoder().predict(logits, index)

    def predict_proba(self, logits: np.ndarray, index: pd.Index) -> pd.DataFrame:
        raise InputError("predict_proba is for classification; this predictor does regression: use predict().")

    def default_metric_names(self) -> list[str]:
        return ["rmse", "mae", "r2"]

    def score(self, logits: np.ndarray, targets: np.ndarray, metrics: list[str] | None = None) -> dict[str, float]:
        names = metrics or self.default_metric_names()
        truth, pred = self._decode(targets.reshape(logits.shape)), self._decode(logits)
        return metric_table.compute(metric_table.REGRESSION, names, truth, pred, pred)

    @property
    def validation_metric(self) -> tuple[str, bool]:
        return "rmse", False
