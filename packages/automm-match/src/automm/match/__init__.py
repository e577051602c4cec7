"""automm.match: text-text, image-image and image-text matching with bi-encoders.

Use it through ``MultiModalPredictor(problem_type="text_similarity", query=..., response=...)``;
this package adds zero-shot image classification and export to sentence-transformers.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("automm-match")
except PackageNotFoundError:
    __version__ = "0.0.0"

__all__ = ["MultiModalPredictor", "__version__", "export_sentence_transformer", "plot_similarity",
           "zero_shot_classify"]


def __getattr__(name: str) -> Any:
    if name == "MultiModalPredictor":
        from automm.core import MultiModalPredictor

        return MultiModalPredictor
    if name == "export_sentence_transformer":
        from .export import export_sentence_transformer

        return export_sentence_transformer
    if name == "plot_similarity":
        from .plots import plot_similarity

        return plot_similarity
    if name == "zero_shot_classify":
        from .zero_shot import zero_shot_classify

        return zero_shot_classify
    raise AttributeError(f"module 'automm.match' has no attribute {name!r}")
