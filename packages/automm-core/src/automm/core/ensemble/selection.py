"""Greedy forward ensemble selection with replacement (Caruana et al., ICML 2004), on validation outputs.

Start from the best single member; each round add the member (again, if it is already in) whose addition gives the
best validation score; the weights are each member's count over the rounds of the best-scoring prefix, as
AutoGluon's ``EnsembleSelection`` keeps them. Members whose weight is 0 can be dropped.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

# The score of a weighted combination of the members' outputs (weights: one per member, summing to 1).
ScoreOf = Callable[[np.ndarray], float]


def greedy_weights(score_of: ScoreOf, num_members: int, rounds: int, greater_is_better: bool) -> np.ndarray:
    """Weights per member (summing to 1) chosen by ``rounds`` rounds of greedy selection with replacement.

    Example:
        >>> greedy_weights(lambda w: -abs(w[0] - 0.5), num_members=2, rounds=4, greater_is_better=True)
        array([0.5, 0.5])
    """
    if num_members < 1 or rounds < 1:
        raise ValueError(f"need at least one member and one round, got {num_members} and {rounds}")
    sign = 1.0 if greater_is_better else -1.0

    def gain(counts: np.ndarray) -> float:
        value = sign * float(score_of(counts / counts.sum()))
        return value if math.isfinite(value) else -math.inf  # a member that fails the metric is never preferred

    counts = np.zeros(num_members)
    best_counts, best_gain = counts, -math.inf
    for _ in range(rounds):
        trials = [gain(counts + np.eye(num_members)[j]) for j in range(num_members)]
        choice = int(np.argmax(trials))  # ties: the earliest member, so the choice is deterministic
        counts = counts + np.eye(num_members)[choice]
        if trials[choice] > best_gain or not best_counts.any():
            best_counts, best_gain = counts, trials[choice]
    return best_counts / best_counts.sum()
