"""Platt scaling: probability of a match = sigmoid(a * cosine + b), fitted on validation pairs."""

from __future__ import annotations

import numpy as np
import torch


def fit_platt(similarity: np.ndarray, labels: np.ndarray, steps: int = 100) -> tuple[float, float]:
    """(a, b) minimising the log loss of ``sigmoid(a * similarity + b)`` against 0/1 ``labels``."""
    x = torch.from_numpy(similarity.astype(np.float64))
    y = torch.from_numpy(labels.astype(np.float64))
    params = torch.tensor([10.0, -5.0], dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([params], max_iter=steps, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(params[0] * x + params[1], y)
        loss.backward()
        return loss

    optimizer.step(closure)
    a, b = (float(v) for v in params.detach())
    return (a, b) if np.isfinite([a, b]).all() else (10.0, -5.0)
