"""Binary and multiclass classification of one label column."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from automm.core.base.decoders import ClassesDecoder, softmax
from automm.core.errors import InputError
from automm.core.plugin import Task

from . import metrics as metric_table
from .config import ClassificationConfig
from .inference import check_single_values, row_name
from .losses import check_focal_alpha, classification_loss, softmax_distillation_loss

if TYPE_CHECKING:
    import torch

    from automm.core import Config


class ClassificationTask(Task):
    """Classes are the sorted distinct label values; the model outputs one logit per class."""

    config_type = ClassificationConfig
    distillable: ClassVar[bool] = True
    ensemble_combine = "softmax"  # an ensemble averages the members' class probabilities
    metric_names = {"binary": metric_table.BINARY_NAMES, "multiclass": metric_table.MULTICLASS_NAMES}
    modalities = {"binary": metric_table.TABLE_MODALITIES, "multiclass": metric_table.TABLE_MODALITIES}

    def __init__(self, problem_type: str, column: str, classes: list[Any]):
        self.problem_type, self.column, self.classes = problem_type, column, classes

    @classmethod
    def fit(cls, labels: pd.DataFrame, problem_type: str,
            arguments: Mapping[str, Any] | None = None) -> ClassificationTask:
        if labels.shape[1] != 1:
            raise InputError(f"{problem_type} takes one label column, got {list(labels.columns)}.")
        check_single_values(labels)
        column = labels.columns[0]
        classes = sorted(labels[column].dropna().unique().tolist(), key=lambda v: (str(type(v)), v))
        classes = [c.item() if isinstance(c, np.generic) else c for c in classes]
        if len(classes) < 2:
            raise InputError(f"Label column {column!r} has only the class {classes}; at least two are needed.")
        if problem_type == "binary" and len(classes) != 2:
            raise InputError(f"problem_type='binary' but label column {column!r} has {len(classes)} classes; "
                             "use problem_type='multiclass'.")
        return cls(problem_type, column, classes)

    @classmethod
    def from_json(cls, state: Mapping[str, Any]) -> ClassificationTask:
        return cls(state["problem_type"], state["column"], list(state["classes"]))

    def to_json(self) -> dict[str, Any]:
        return {"problem_type": self.problem_type, "column": self.column, "classes": self.classes}

    @property
    def output_size(self) -> int:
        return len(self.classes)

    def encode(self, labels: pd.DataFrame) -> np.ndarray:
        check_single_values(labels[[self.column]])
        index = {_key(c): i for i, c in enumerate(self.classes)}
        values = labels[self.column].tolist()
        codes = np.array([index.get(_key(v), -1) for v in values], dtype=np.int64)
        if (codes < 0).any():
            unseen = sorted({str(v) for v, c in zip(values, codes) if c < 0})[:5]
            row = row_name(labels, int(np.argmax(codes < 0)))
            raise InputError(f"Label column {self.column!r} has value(s) {unseen} (first at row {row!r}) that were "
                             f"not classes in training ({self.classes[:10]}). Remove those rows or refit.")
        return codes

    def configure(self, config: Config, overrides: Mapping[str, Any]) -> tuple[ClassificationTask, Config]:
        """Refuse a ``task.focal_alpha`` that does not fit the classes, before anything is built."""
        check_focal_alpha(config.task, len(self.classes))
        return self, config

    def loss(self, optim: Any, task_config: ClassificationConfig):
        return classification_loss(task_config, len(self.classes))

    def teacher_mismatch(self, teacher: Task) -> str | None:
        theirs = getattr(teacher, "classes", None)
        if theirs != self.classes:
            return f"the teacher's classes {theirs} differ from this predictor's {self.classes}"
        return None

    def soft_label_loss(self, outputs: torch.Tensor, soft_targets: torch.Tensor, temperature: float) -> torch.Tensor:
        return softmax_distillation_loss(outputs, soft_targets, temperature)

    def decoder_spec(self) -> dict[str, Any]:
        """The classes decoder (``automm.core.base.decoders.ClassesDecoder``): argmax class, softmax."""
        return {"decoder": "classes", "column": self.column, "classes": self.classes}

    def predict(self, logits: np.ndarray, index: pd.Index) -> pd.Series:
        return ClassesDecoder(self.column, self.classes).predict(logits, index)

    def predict_proba(self, logits: np.ndarray, index: pd.Index) -> pd.DataFrame:
        return ClassesDecoder(self.column, self.classes).predict_proba(logits, index)

    def score(self, logits: np.ndarray, targets: np.ndarray, metrics: list[str] | None = None) -> dict[str, float]:
        names = metrics or self.default_metrics()
        proba = softmax(logits, axis=1)
        return metric_table.compute(metric_table.CLASSIFICATION, names, targets, proba.argmax(axis=1), proba)

    def default_metrics(self) -> list[str]:
        if self.problem_type == "binary":
            return ["roc_auc", "accuracy", "balanced_accuracy", "f1", "log_loss"]
        return ["accuracy", "balanced_accuracy", "f1_macro", "f1_weighted", "log_loss"]

    @property
    def validation_metric(self) -> tuple[str, bool]:
        return ("roc_auc", True) if self.problem_type == "binary" else ("accuracy", True)

    def default_metric_names(self) -> list[str]:
        return self.default_metrics()

    def validation_fallback(self, name: str, targets: np.ndarray) -> tuple[str, str] | None:
        """Accuracy when ``name`` (ROC-AUC, average precision) needs classes the validation rows lack."""
        why = metric_table.missing_classes(name, targets, len(self.classes))
        return ("accuracy", why) if why else None

    def stratify_key(self, labels: pd.DataFrame) -> np.ndarray:
        return self.encode(labels)


def _key(value: Any) -> Any:
    """Compare labels by value: 1, 1.0 and np.int64(1) are one class; strings stay strings."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)) and float(value).is_integer():
        return int(value)
    return value
