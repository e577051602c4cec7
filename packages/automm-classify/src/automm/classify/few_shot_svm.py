"""A linear SVM on frozen embeddings: C chosen by cross-validation, probabilities by temperature scaling.

scikit-learn fits everything; the result is one linear layer (the scaler folded in), so a saved predictor stores
plain weights in safetensors and predicts, saves, loads and exports through core's network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from automm.core.errors import InputError

# In order of preference: a tie (common with a few rows per class) keeps the earlier value, the usual default first.
# Preferring the smallest C instead would pick near-constant SVMs whenever every value scores at chance.
C_GRID = (1.0, 0.1, 10.0, 0.01)
MAX_FOLDS = 5
MIN_PER_CLASS = 2  # cross-validation needs each class in a training fold and in a held-out fold


@dataclass(frozen=True)
class LinearHead:
    """``logits = embeddings @ weight.T + bias``; ``softmax(logits)`` are the calibrated class probabilities."""

    weight: np.ndarray  # [classes, features]
    bias: np.ndarray  # [classes]
    c: float
    temperature: float
    folds: int
    held_out_logits: np.ndarray  # [rows, classes]: each training row's logits from the folds that held it out


def check_class_counts(codes: np.ndarray, classes: list[Any], column: str) -> None:
    """Every class needs ``MIN_PER_CLASS`` rows; the message names the class and how many rows it has."""
    counts = np.bincount(codes, minlength=len(classes))
    short = [(classes[i], int(n)) for i, n in enumerate(counts) if n < MIN_PER_CLASS]
    if short:
        listed = ", ".join(f"{name!r} ({n} row{'s' * (n != 1)})" for name, n in short[:5])
        raise InputError(f"Label column {column!r}: class(es) {listed} have fewer than {MIN_PER_CLASS} examples; "
                         f"few-shot classification needs at least {MIN_PER_CLASS} rows of every class (its SVM is "
                         "cross-validated). Add examples of those classes or drop their rows.")


def fit_linear_svm(embeddings: np.ndarray, codes: np.ndarray, num_classes: int, c: float | None, standardize: bool,
                   seed: int) -> LinearHead:
    """Fit the SVM on every row; ``c`` None searches ``C_GRID`` by stratified k-fold accuracy (k <= 5)."""
    from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_predict

    folds = StratifiedKFold(min(MAX_FOLDS, int(np.bincount(codes).min())), shuffle=True, random_state=seed)
    if c is None:
        search = GridSearchCV(_pipeline(1.0, standardize, seed), {"svm__C": C_GRID}, cv=folds, scoring="accuracy")
        c = float(search.fit(embeddings, codes).best_params_["svm__C"])
    pipeline = _pipeline(c, standardize, seed)
    held_out = _two_columns(cross_val_predict(pipeline, embeddings, codes, cv=folds, method="decision_function"))
    beta = inverse_temperature(held_out, codes, num_classes)
    pipeline.fit(embeddings, codes)
    weight, bias = _folded(pipeline)
    return LinearHead(beta * weight, beta * bias, c, 1.0 / beta, folds.get_n_splits(), beta * held_out)


def inverse_temperature(logits: np.ndarray, codes: np.ndarray, num_classes: int) -> float:
    """``beta`` minimising the cross-entropy of ``softmax(beta * logits)`` against Platt's smoothed targets.

    Temperature scaling (Guo et al., 2017) has one parameter, so a few held-out rows fit it; Platt's (1999) prior
    correction, target ``(n + 1) / (n + 2)`` for a class with ``n`` rows, keeps perfectly separated held-out rows
    from driving probabilities to 0 and 1. (scikit-learn's ``CalibratedClassifierCV(method="temperature")`` fits
    against hard labels, which does exactly that on a handful of rows.)
    """
    from scipy.optimize import minimize_scalar
    from scipy.special import log_softmax

    counts = np.bincount(codes, minlength=num_classes)
    hit = (counts[codes] + 1.0) / (counts[codes] + 2.0)
    targets = np.repeat(((1.0 - hit) / (num_classes - 1))[:, None], num_classes, axis=1)
    targets[np.arange(len(codes)), codes] = hit

    def loss(log_beta: float) -> float:
        return float(-(targets * log_softmax(np.exp(log_beta) * logits, axis=1)).sum(axis=1).mean())

    return float(np.exp(minimize_scalar(loss, bounds=(-10.0, 10.0), method="bounded").x))


def _pipeline(c: float, standardize: bool, seed: int) -> Any:
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    return Pipeline([("scale", StandardScaler() if standardize else "passthrough"),
                     ("svm", LinearSVC(C=c, random_state=seed, max_iter=10_000))])


def _folded(pipeline: Any) -> tuple[np.ndarray, np.ndarray]:
    """The fitted SVM as one linear map of the raw embeddings, the scaler folded in; binary as two logits."""
    svm, scaler = pipeline.named_steps["svm"], pipeline.named_steps["scale"]
    weight, bias = svm.coef_.astype(np.float64), svm.intercept_.astype(np.float64)
    if scaler != "passthrough":
        weight = weight / scaler.scale_
        bias = bias - weight @ scaler.mean_
    if len(weight) == 1:  # binary: one decision value f for the second class -> logits (-f/2, f/2)
        weight, bias = np.concatenate([-weight, weight]) / 2, np.concatenate([-bias, bias]) / 2
    return weight, bias


def _two_columns(decision: np.ndarray) -> np.ndarray:
    """Decision values as ``[rows, classes]`` logits (binary ``f`` -> ``(-f/2, f/2)``, as ``_folded``)."""
    return np.stack([-decision / 2, decision / 2], axis=1) if decision.ndim == 1 else decision
