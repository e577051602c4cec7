"""Multilabel classification: several binary label columns, one sigmoid output each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from automm.core.base.decoders import MultilabelDecoder, sigmoid
from automm.core.errors import InputError
from automm.core.plugin import Task

from . import metrics as metric_table
from .classification import _key
from .config import MultilabelConfig
from .inference import check_single_values, row_name
from .losses import MultilabelLoss, sigmoid_distillation_loss

if TYPE_CHECKING:
    import torch


class MultilabelTask(Task):
    """Each label column has a negative and a positive value (the larger/later of its two values)."""

    config_type = MultilabelConfig
    ensemble_combine = "sigmoid"  # an ensemble averages each label's probability
    problem_type = "multilabel"
    distillable: ClassVar[bool] = True
    metric_names = {"multilabel": metric_table.MULTILABEL_NAMES}
    modalities = {"multilabel": metric_table.TABLE_MODALITIES}

    def __init__(self, columns: list[str], values: list[list[Any]]):
        self.columns, self.values = columns, values

    @classmethod
    def fit(cls, labels: pd.DataFrame, problem_type: str,
            arguments: Mapping[str, Any] | None = None) -> MultilabelTask:
        check_single_values(labels)
        values = []
        for column in labels.columns:
            distinct = sorted(labels[column].dropna().unique().tolist(), key=lambda v: (str(type(v)), v))
            distinct = [v.item() if isinstance(v, np.generic) else v for v in distinct]
            if len(distinct) != 2:
                raise InputError(f"Multilabel column {column!r} must have exactly two values (e.g. 0/1), "
                                 f"got {distinct[:5]}.")
            values.append(distinct)
        return cls([str(c) for c in labels.columns], values)

    @classmethod
    def from_json(cls, state: Mapping[str, Any]) -> MultilabelTask:
        return cls(list(state["columns"]), [list(v) for v in state["values"]])

    def to_json(self) -> dict[str, Any]:
        return {"columns": self.columns, "values": self.values}

    @property
    def output_size(self) -> int:
        return len(self.columns)

    def encode(self, labels: pd.DataFrame) -> np.ndarray:
        out = np.zeros((len(labels), len(self.columns)), dtype=np.float32)
        for i, (column, (negative, positive)) in enumerate(zip(self.columns, self.values)):
            keys = [_key(v) for v in labels[column].tolist()]
            bad = [i for i, k in enumerate(keys) if k not in (_key(negative), _key(positive))]
            if bad:
                raise InputError(f"Multilabel column {column!r} has value {keys[bad[0]]!r} at row "
                                 f"{row_name(labels, bad[0])!r}; expected {negative!r} or {positive!r}. Fix or drop "
                                 "those rows.")
            out[:, i] = [k == _key(positive) for k in keys]
        return out

    def loss(self, optim: Any, task_config: MultilabelConfig):
        return MultilabelLoss(task_config.label_smoothing)

    def teacher_mismatch(self, teacher: Task) -> str | None:
        theirs = getattr(teacher, "values", None)
        if theirs != self.values:
            return f"the teacher's label values {theirs} differ from this predictor's {self.values}"
        return None

    def soft_label_loss(self, outputs: torch.Tensor, soft_targets: torch.Tensor, temperature: float) -> torch.Tensor:
        return sigmoid_distillation_loss(outputs, soft_targets, temperature)

    def decoder_spec(self) -> dict[str, Any]:
        """The multilabel decoder (``automm.core.base.decoders.MultilabelDecoder``): a sigmoid per column."""
        return {"decoder": "binary_columns", "columns": self.columns, "values": self.values}

    def predict(self, logits: np.ndarray, index: pd.Index) -> pd.DataFrame:
        return MultilabelDecoder(self.columns, self.values).predict(logits, index)

    def predict_proba(self, logits: np.ndarray, index: pd.Index) -> pd.DataFrame:
        """Probability of each column's positive value."""
        return MultilabelDecoder(self.columns, self.values).predict_proba(logits, index)

    def default_metric_names(self) -> list[str]:
        return ["roc_auc", "f1_macro", "accuracy", "subset_accuracy", "log_loss"]

    def validation_fallback(self, name: str, targets: np.ndarray) -> tuple[str, str] | None:
        """Log loss when ``name`` (ROC-AUC, average precision) finds no label column with both values."""
        if name in metric_table.NEEDS_EVERY_CLASS and not any(len(np.unique(column)) == 2 for column in targets.T):
            return "log_loss", f"{name} needs a label column with both values among the rows"
        return None

    def score(self, logits: np.ndarray, targets: np.ndarray, metrics: list[str] | None = None) -> dict[str, float]:
        names = metrics or self.default_metric_names()
        proba = sigmoid(logits)
        predicted = (proba >= 0.5).astype(int)
        return metric_table.compute(metric_table.MULTILABEL, names, targets.astype(int), predicted, proba)

    @property
    def validation_metric(self) -> tuple[str, bool]:
        return "log_loss", False
