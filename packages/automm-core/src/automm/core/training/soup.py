"""Greedy soup: average the top-k checkpoints' weights, keeping each only if validation does not get worse."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

from .checkpoint_io import read_lightning_weights

StateDict = dict[str, torch.Tensor]


def greedy_soup(ranked_checkpoints: list[Path], evaluate: Callable[[StateDict], float],
                greater_is_better: bool) -> tuple[StateDict, int]:
    """Return the souped weights and how many checkpoints went into them (best first in the list)."""
    soup = read_lightning_weights(ranked_checkpoints[0])
    best = evaluate(soup)
    used = 1
    for path in ranked_checkpoints[1:]:
        candidate_weights = read_lightning_weights(path)
        candidate = {k: _mix(v, candidate_weights[k], used) for k, v in soup.items()}
        score = evaluate(candidate)
        if score >= best if greater_is_better else score <= best:
            soup, best, used = candidate, score, used + 1
    return soup, used


def _mix(average: torch.Tensor, new: torch.Tensor, count: int) -> torch.Tensor:
    """Running mean of ``count`` tensors plus one more; integer buffers keep the first value."""
    if not average.is_floating_point():
        return average
    return average + (new.to(average.dtype) - average) / (count + 1)
