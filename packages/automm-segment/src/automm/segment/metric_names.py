"""The segmentation metrics' names and their check, apart from the torchmetrics metric that computes them
(``metrics``), so that plug-in discovery and a predictor's load do not import torchmetrics."""

from __future__ import annotations

from automm.core.errors import ConfigError
from automm.core.plugin import did_you_mean

BINARY_METRICS = ("iou", "ber", "sm", "em", "fm", "mae", "accuracy")
MULTICLASS_METRICS = ("iou", "accuracy")
SOD_METRICS = ("sm", "em", "fm", "mae")


def check_metric_names(names: list[str], binary: bool) -> None:
    """Refuse unknown names, and the salient-object metrics for masks of more than two classes."""
    known = BINARY_METRICS if binary else MULTICLASS_METRICS
    for name in names:
        if name not in known:
            why = " (binary masks only)" if name in BINARY_METRICS else did_you_mean(name, known)
            raise ConfigError(f"Unknown segmentation metric {name!r}{why}. Available: {list(known)}.")
