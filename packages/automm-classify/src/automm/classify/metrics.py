"""Metrics by name, computed with scikit-learn (imported on first use: it costs ~1 s when a predictor loads)."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import numpy as np

from automm.core.errors import ConfigError
from automm.core.plugin import did_you_mean

# name -> (function of (y_true, y_pred, proba), greater is better)
Metric = Callable[[np.ndarray, np.ndarray, np.ndarray], float]

def _f1(y: np.ndarray, p: np.ndarray, pr: np.ndarray) -> float:
    return skm().f1_score(y, p, average="binary" if pr.shape[1] == 2 else "macro", zero_division=0)


def _binary_or_macro(score: str) -> Metric:
    """``precision`` / ``recall`` of the positive class (binary) or averaged over classes (multiclass)."""
    return lambda y, p, pr: getattr(skm(), f"{score}_score")(y, p, average="binary" if pr.shape[1] == 2 else "macro",
                                                             zero_division=0)


def _averaged(score: str, average: str) -> Metric:
    return lambda y, p, pr: getattr(skm(), f"{score}_score")(y, p, average=average, zero_division=0)


CLASSIFICATION: dict[str, tuple[Metric, bool]] = {
    "accuracy": (lambda y, p, pr: skm().accuracy_score(y, p), True),
    "balanced_accuracy": (lambda y, p, pr: skm().balanced_accuracy_score(y, p), True),
    "mcc": (lambda y, p, pr: skm().matthews_corrcoef(y, p), True),
    "quadratic_kappa": (lambda y, p, pr: skm().cohen_kappa_score(y, p, weights="quadratic"), True),
    "f1": (_f1, True),
    "precision": (_binary_or_macro("precision"), True),
    "recall": (_binary_or_macro("recall"), True),
    **{f"{score}_{average}": (_averaged(score, average), True)
       for score in ("f1", "precision", "recall") for average in ("macro", "micro", "weighted")},
    "roc_auc": (lambda y, p, pr: _roc_auc(y, pr), True),
    "average_precision": (lambda y, p, pr: _average_precision(y, pr), True),
    "log_loss": (lambda y, p, pr: skm().log_loss(y, pr, labels=np.arange(pr.shape[1])), False),
}

REGRESSION: dict[str, tuple[Metric, bool]] = {
    "rmse": (lambda y, p, pr: float(np.sqrt(skm().mean_squared_error(y, p))), False),
    "mse": (lambda y, p, pr: skm().mean_squared_error(y, p), False),
    "mae": (lambda y, p, pr: skm().mean_absolute_error(y, p), False),
    "medae": (lambda y, p, pr: skm().median_absolute_error(y, p), False),
    "mape": (lambda y, p, pr: skm().mean_absolute_percentage_error(y, p), False),
    "r2": (lambda y, p, pr: skm().r2_score(y, p) if len(y) > 1 else float("nan"), True),
    "pearsonr": (lambda y, p, pr: _correlation("pearsonr", y, p), True),
    "spearmanr": (lambda y, p, pr: _correlation("spearmanr", y, p), True),
}

MULTILABEL: dict[str, tuple[Metric, bool]] = {
    "roc_auc": (lambda y, p, pr: _multilabel_roc_auc(y, pr), True),
    "f1_macro": (lambda y, p, pr: skm().f1_score(y, p, average="macro", zero_division=0), True),
    "f1_micro": (lambda y, p, pr: skm().f1_score(y, p, average="micro", zero_division=0), True),
    "f1_weighted": (lambda y, p, pr: skm().f1_score(y, p, average="weighted", zero_division=0), True),
    "average_precision": (lambda y, p, pr: _multilabel_average_precision(y, pr), True),
    "accuracy": (lambda y, p, pr: float((y == p).mean()), True),  # per-label accuracy
    "subset_accuracy": (lambda y, p, pr: skm().accuracy_score(y, p), True),
    "log_loss": (lambda y, p, pr: float(np.mean([skm().log_loss(y[:, i], pr[:, i], labels=[0, 1])
                                                  for i in range(y.shape[1])])), False),
}
_AVERAGED = tuple(f"{m}_{a}" for m in ("f1", "precision", "recall") for a in ("macro", "micro", "weighted"))
_CLASS_METRICS = ("accuracy", "balanced_accuracy", "mcc", "quadratic_kappa", "log_loss", "f1", "precision", "recall",
                  *_AVERAGED)
# What each problem type accepts as eval_metric / validation_metric / evaluate(metrics=...), its default first.
BINARY_NAMES = ("roc_auc", *_CLASS_METRICS, "average_precision")
MULTICLASS_NAMES = ("accuracy", *_CLASS_METRICS[1:], "roc_auc", "average_precision")
REGRESSION_NAMES = ("rmse", "mse", "mae", "r2", "pearsonr", "spearmanr", "medae", "mape")
MULTILABEL_NAMES = ("log_loss", "roc_auc", "accuracy", "subset_accuracy", "f1_macro", "f1_micro", "f1_weighted",
                    "average_precision")
TABLE_MODALITIES = frozenset({"image", "text", "categorical", "numerical"})
# Metrics that need both classes (every class, for several) among the rows: refused for validation otherwise.
NEEDS_EVERY_CLASS = ("roc_auc", "average_precision")


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


def _average_precision(y: np.ndarray, proba: np.ndarray) -> float:
    """Average precision of the positive class (binary), or its macro average over one-vs-rest classes."""
    if len(np.unique(y)) < 2:
        return float("nan")
    if proba.shape[1] == 2:
        return skm().average_precision_score(y, proba[:, 1])
    return skm().average_precision_score(np.eye(proba.shape[1])[y], proba, average="macro")


def _multilabel_roc_auc(y: np.ndarray, proba: np.ndarray) -> float:
    scores = [skm().roc_auc_score(y[:, i], proba[:, i]) for i in range(y.shape[1]) if len(np.unique(y[:, i])) == 2]
    return float(np.mean(scores)) if scores else float("nan")


def _multilabel_average_precision(y: np.ndarray, proba: np.ndarray) -> float:
    scores = [skm().average_precision_score(y[:, i], proba[:, i]) for i in range(y.shape[1])
              if len(np.unique(y[:, i])) == 2]
    return float(np.mean(scores)) if scores else float("nan")


def _correlation(name: str, y: np.ndarray, pred: np.ndarray) -> float:
    """scipy's Pearson or Spearman correlation; several columns: the mean over columns. NaN for constant rows."""
    from scipy import stats

    truth, predicted = np.asarray(y, dtype=float), np.asarray(pred, dtype=float)
    if truth.ndim == 1:
        truth, predicted = truth[:, None], predicted[:, None]
    values = []
    for i in range(truth.shape[1]):
        if len(truth) < 2 or np.ptp(truth[:, i]) == 0 or np.ptp(predicted[:, i]) == 0:
            values.append(float("nan"))
        else:
            values.append(float(getattr(stats, name)(truth[:, i], predicted[:, i])[0]))
    return float(np.mean(values))


def missing_classes(name: str, targets: np.ndarray, num_classes: int) -> str | None:
    """Why metric ``name`` cannot be computed on class-code ``targets``, or None when it can."""
    if name not in NEEDS_EVERY_CLASS:
        return None
    present = len(np.unique(targets))
    needed = 2 if num_classes == 2 else num_classes
    if present < needed:
        return f"{name} needs {needed} classes among the rows, found {present}"
    return None


def skm() -> ModuleType:
    """``sklearn.metrics``."""
    from sklearn import metrics

    return metrics
