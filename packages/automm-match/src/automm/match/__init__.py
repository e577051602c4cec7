"""automm.match: text-text, image-image and image-text matching with bi-encoders.

Use it through ``MultiModalPredictor(problem_type="text_similarity", query=..., response=...)``;
this package adds zero-shot image classification (``problem_type="zero_shot_image_classification"``), export to
sentence-transformers and AutoGluon-MM's retrieval helpers (``semantic_search``, ``compute_ranking_score``,
``compute_semantic_similarity``).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("automm-match")
except PackageNotFoundError:
    __version__ = "0.0.0"

__all__ = ["MultiModalPredictor", "__version__", "compute_ranking_score", "compute_semantic_similarity",
           "export_sentence_transformer", "plot_similarity", "semantic_search", "zero_shot_classify"]
SEARCH_HELPERS = ("compute_ranking_score", "compute_semantic_similarity", "semantic_search")


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
    if name in SEARCH_HELPERS:
        from . import search

        return getattr(search, name)
    if name == "zero_shot_classify":
        from .zero_shot import zero_shot_classify

        return zero_shot_classify
    raise AttributeError(f"module 'automm.match' has no attribute {name!r}")
