"""A plot people would rather see than read: how far apart matching and non-matching pairs score."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from automm.core.errors import ConfigError

from .metrics import pair_similarity


def plot_similarity(predictor: Any, pairs: pd.DataFrame, path: str | Path | None = None, bins: int = 40):
    """Histogram of the cosine similarity of matching and non-matching labelled ``pairs``, with the decision
    threshold (probability 0.5) marked; saved to ``path`` when given. Returns the matplotlib figure.

    Example:
        >>> plot_similarity(matcher, test_pairs, "similarity.png")
    """
    plt = _pyplot()
    task = predictor.state.task
    if task.kind != "binary":
        raise ConfigError("plot_similarity needs a matcher fitted on labelled pairs (match / no match).")
    outputs = np.stack([predictor.extract_embedding(pairs, signature=side) for side in ("query", "response")], 1)
    similarity, is_match = pair_similarity(outputs), task.encode(pairs[task.target_columns])[:, 0] > 0.5
    figure, axis = plt.subplots(figsize=(7, 4))
    edges = np.linspace(-1, 1, bins + 1)
    axis.hist(similarity[is_match], bins=edges, alpha=0.6, label=f"match ({int(is_match.sum())})")
    axis.hist(similarity[~is_match], bins=edges, alpha=0.6, label=f"no match ({int((~is_match).sum())})")
    a, b = task.platt
    axis.axvline(-b / a, color="black", linestyle="--", label="threshold (p = 0.5)")
    axis.set(xlabel="cosine similarity of the pair", ylabel="pairs", title="Pair similarity")
    axis.legend()
    figure.tight_layout()
    if path is not None:
        figure.savefig(path, dpi=120)
    return figure


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ImportError("Plots need matplotlib: pip install 'automm-match[plot]'") from err
    return plt
