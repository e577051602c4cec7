"""Named-entity recognition (``problem_type="ner"``): character spans in, BIO token classification inside."""

from __future__ import annotations

from .visualize import visualize_ner

__all__ = ["visualize_ner"]
