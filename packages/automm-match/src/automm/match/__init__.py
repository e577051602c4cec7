"""automm.match: text-text, image-image and image-text matching with bi-encoders.

Use it through ``automm.core.MultiModalPredictor(problem_type="text_similarity", query=..., response=...)``;
this package adds zero-shot image classification and export to sentence-transformers.
"""

from __future__ import annotations

from .export import export_sentence_transformer
from .zero_shot import zero_shot_classify

__all__ = ["export_sentence_transformer", "zero_shot_classify"]
