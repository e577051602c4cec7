"""automm.classify: binary, multiclass, multilabel and few-shot classification, regression, multi-output regression
and named-entity recognition."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("automm-classify")
except PackageNotFoundError:
    __version__ = "0.0.0"

__all__ = ["MultiModalPredictor", "plot_confusion_matrix", "plot_residuals", "visualize_ner", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "MultiModalPredictor":
        from automm.core import MultiModalPredictor

        return MultiModalPredictor
    if name in ("plot_confusion_matrix", "plot_residuals"):
        from . import plots

        return getattr(plots, name)
    if name == "visualize_ner":
        from .ner.visualize import visualize_ner

        return visualize_ner
    raise AttributeError(f"module 'automm.classify' has no attribute {name!r}")
