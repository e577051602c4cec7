"""Metrics by name, computed with scikit-learn (imported on first use: it costs ~1 s when a predictor loads)."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import numpy as np

from automm.core.errors import ConfigError
from automm.core.plugin import did_you_mean

# name -> (function of (y_true, y_pred, proba), greater is better)
Metric = Callable[[np.ndarray, np.ndarray, np.ndarray], float]

CLASSIFICATION: dict[str, tuple[Metric, bool]] = {
    "accuracy": (lambda y, p, pr: skm().accuracy_score(y, p), True),
    "balanced_accuracy": (lambda y, p, pr: skm().balanced_accuracy_score(y, p), True),
    "f1": (lambda y, p, pr: skm().f1_score(y, p, average="binary" if pr.shape[1] == 2 else "macro"), True),
    "f1_macro": (lambda y, p, pr: skm().f1_score(y, p, average="macro"), True),
    "f1_weighted": (lambda y, p, pr: skm().f1_score(y, p, average="weighted"), True),
    "roc_auc": (lambda y, p, pr: _roc_auc(y, pr), True),
    "log_loss": (lambda y, p, pr: skm().log_loss(y, pr, labels=np.arange(pr.shape[1])), False),
}

REGRESSION: dict[str, tuple[Metric, bool]] = {
    "rmse": (lambda y, p, pr: float(np.sqrt(skm().mean_squared_error(y, p))), False),
    "mae": (lambda y, p, pr: skm().mean_absolute_error(y, p), False),
    "r2": (lambda y, p, pr: skm().r2_score(y, p) if len(y) > 1 else float("nan"), True),
}

MULTILABEL: dict[str, tuple[Metric, bool]] = {
    "roc_auc": (lambda y, p, pr: _multilabel_roc_auc(y, pr), True),
    "f1_macro": (lambda y, p, pr: skm().f1_score(y, p, average="macro", zero_division=0), True),
    "accuracy": (lambda y, p, pr: float((y == p).mean()), True),  # per-label accuracy
    "subset_accuracy": (lambda y, p, pr: skm().accuracy_score(y, p), True),
    "log_loss": (lambda y, p, pr: float(np.mean([skm().log_loss(y[:, i], pr[:, i], labels=[0, 1])
                                                  for i in range(y.shape[1])])), False),
}


def compute(table: dict[str, tuple[Metric, bool]], names: list[str], y: np.ndarray, pred: np.ndarray,
            proba: np.ndarray) -> dict[str, float]:
    """Each named metric; an unknown name fails with the closest valid one."""
    scores = {}
    for name in names:
        if name not in table:
            raise ConfigError(f"Unknown metric {name!r}.{did_you_mean(name, table)} Available: {sorted(table)}")
        scores[name] = float(table[name][0](y, pred, proba))
    return scores


def _roc_auc(y: np.ndarray, proba: np.ndarray) -> float:
    if len(np.unique(y)) < 2:
        return float("nan")
    if proba.shape[1] == 2:
        return skm().roc_auc_score(y, proba[:, 1])
    present = np.unique(y)
    if len(present) < proba.shape[1]:
        return float("nan")
    return skm().roc_auc_score(y, proba, multi_class="ovr")


def _multilabel_roc_auc(y: np.ndarray, proba: np.ndarray) -> float:
    scores = [skm().roc_auc_score(y[:, i], proba[:, i]) for i in range(y.shape[1]) if len(np.unique(y[:, i])) == 2]
    return float(np.mean(scores)) if scores else float("nan")


def skm() -> ModuleType:
    """``sklearn.metrics``."""
    from sklearn import metrics

    return metrics
