"""Plots people would rather see than read: confusion matrix and residuals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from automm.core.errors import ConfigError


def plot_confusion_matrix(predictor: Any, data: pd.DataFrame, path: str | Path | None = None, normalize: bool = True):
    """Confusion matrix of ``predictor`` on labelled ``data``; saved to ``path`` when given. Returns the figure."""
    plt, skm = _imports()
    if predictor.class_labels is None:
        raise ConfigError("A confusion matrix needs a classification predictor; use plot_residuals for regression.")
    label = predictor.label_columns[0]
    truth, predicted = data[label].astype(str), predictor.predict(data).astype(str)
    labels = [str(c) for c in predictor.class_labels]
    display = skm.ConfusionMatrixDisplay.from_predictions(
        truth, predicted, labels=labels, normalize="true" if normalize else None, xticks_rotation=45,
        values_format=".2f" if normalize else "d", colorbar=False)
    display.ax_.set_title(f"Confusion matrix: {label}")
    return _finish(display.figure_, path)


def plot_residuals(predictor: Any, data: pd.DataFrame, path: str | Path | None = None):
    """Predicted vs true and residuals for a regression predictor (first label column)."""
    plt, _ = _imports()
    label = predictor.label_columns[0]
    predicted = predictor.predict(data)
    predicted = predicted.iloc[:, 0] if isinstance(predicted, pd.DataFrame) else predicted
    truth = data[label].to_numpy(dtype=float)
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.scatter(truth, predicted, s=8, alpha=0.6)
    bounds = [np.nanmin(truth), np.nanmax(truth)]
    left.plot(bounds, bounds, color="grey", linestyle="--")
    left.set(xlabel=f"true {label}", ylabel="predicted", title="Predicted vs true")
    right.scatter(predicted, truth - predicted.to_numpy(), s=8, alpha=0.6)
    right.axhline(0, color="grey", linestyle="--")
    right.set(xlabel="predicted", ylabel="residual", title="Residuals")
    return _finish(figure, path)


def _imports():
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
        from sklearn import metrics as skm
    except ImportError as err:
        raise ImportError("Plots need matplotlib: pip install 'automm-classify[plot]'") from err
    return plt, skm


def _finish(figure, path: str | Path | None):
    figure.tight_layout()
    if path is not None:
        figure.savefig(path, dpi=120)
    return figure
