"""Combine the top-k checkpoints: the greedy soup (keep each in the average only if validation does not get
worse), the uniform average, or the best alone."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import torch

from .checkpoint_io import read_lightning_weights

StateDict = dict[str, torch.Tensor]


def greedy_soup(ranked_checkpoints: list[Path], evaluate: Callable[[StateDict], float], greater_is_better: bool,
                can_continue: Callable[[float], bool] = lambda seconds: True) -> tuple[StateDict, int, float]:
    """The souped weights, how many checkpoints went into them (best first in the list), and their score.

    ``can_continue(seconds)`` is asked before each candidate whether one more evaluation (as long as the last)
    still fits the time budget; the soup so far is returned when it does not.
    """
    soup = read_lightning_weights(ranked_checkpoints[0])
    started = time.monotonic()
    best = evaluate(soup)
    seconds = time.monotonic() - started
    used = 1
    for path in ranked_checkpoints[1:]:
        if not can_continue(seconds):
            break
        candidate_weights = read_lightning_weights(path)
        candidate = {k: _mix(v, candidate_weights[k], used) for k, v in soup.items()}
        score = evaluate(candidate)
        if score >= best if greater_is_better else score <= best:
            soup, best, used = candidate, score, used + 1
    return soup, used, best


def _mix(average: torch.Tensor, new: torch.Tensor, count: int) -> torch.Tensor:
    """Running mean of ``count`` tensors plus one more; integer buffers keep the first value."""
    if not average.is_floating_point():
        return average
    return average + (new.to(average.dtype) - average) / (count + 1)


def uniform_soup(ranked_checkpoints: list[Path]) -> StateDict:
    """The plain average of every checkpoint's weights (integer buffers keep the first checkpoint's)."""
    soup = read_lightning_weights(ranked_checkpoints[0])
    for count, path in enumerate(ranked_checkpoints[1:], start=1):
        weights = read_lightning_weights(path)
        soup = {k: _mix(v, weights[k], count) for k, v in soup.items()}
    return soup


def combine_checkpoints(method: str, ranked_checkpoints: list[Path], evaluate: Callable[[StateDict], float],
                        greater_is_better: bool, can_continue: Callable[[float], bool] = lambda seconds: True,
                        ) -> tuple[StateDict, int, Callable[[], float]]:
    """``optim.soup``: the weights, how many checkpoints went into them, and a function giving their score.

    "greedy": ``greedy_soup`` (its score is already known). "uniform": every checkpoint averaged. "best": the
    first, best-scoring checkpoint alone. The last two need no validation pass unless their score is asked for.
    """
    if method == "greedy":
        weights, used, score = greedy_soup(ranked_checkpoints, evaluate, greater_is_better, can_continue)
        return weights, used, lambda: score
    if method == "uniform":
        weights, used = uniform_soup(ranked_checkpoints), len(ranked_checkpoints)
    else:
        weights, used = read_lightning_weights(ranked_checkpoints[0]), 1
    return weights, used, lambda: evaluate(weights)
