"""Greedy ensemble selection (Caruana et al. 2004) on synthetic validation outputs, and the ensemble combiners."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from automm.core.ensemble.fitting import member_seconds
from automm.core.ensemble.selection import greedy_weights
from automm.core.models.ensemble import COMBINERS, EnsembleSpec, combine_chosen


def _scorer(outputs: list[np.ndarray], targets: np.ndarray, combine: str, metric) -> callable:
    stacked = np.stack(outputs).astype(np.float32)
    return lambda weights: metric(combine_chosen(combine, stacked, weights), targets)


def _accuracy(log_proba: np.ndarray, targets: np.ndarray) -> float:
    return float((log_proba.argmax(axis=1) == targets).mean())


def _one_hot_logits(predicted: np.ndarray, classes: int, margin: float = 2.0) -> np.ndarray:
    return np.eye(classes)[predicted] * margin


def test_picks_the_better_member() -> None:
    rng = np.random.default_rng(0)
    targets = rng.integers(0, 3, 200)
    good = _one_hot_logits(np.where(rng.random(200) < 0.9, targets, (targets + 1) % 3), 3)
    bad = _one_hot_logits(rng.integers(0, 3, 200), 3)
    weights = greedy_weights(_scorer([bad, good], targets, "softmax", _accuracy), 2, 25, greater_is_better=True)
    assert weights[1] > weights[0] and weights[1] == 1.0


def test_weights_sum_to_one_in_steps_of_one_round() -> None:
    rng = np.random.default_rng(1)
    targets = rng.normal(size=100)
    members = [targets + rng.normal(scale=s, size=100) for s in (0.5, 0.6, 0.7)]
    mse = lambda outputs, t: float(((outputs - t) ** 2).mean())  # noqa: E731
    weights = greedy_weights(_scorer(members, targets, "mean", mse), 3, 25, greater_is_better=False)
    assert math.isclose(weights.sum(), 1.0) and (weights >= 0).all()
    # counts over the best prefix of the 25 rounds: some number of rounds n <= 25 makes every weight * n whole
    assert any(np.allclose(weights * n, (weights * n).round()) for n in range(1, 26))
    assert (weights > 0).sum() >= 2  # similar members: averaging them lowers the error


def test_complementary_members_beat_the_best_single_member() -> None:
    rng = np.random.default_rng(2)
    targets = rng.integers(0, 2, 300)
    wrong = (targets + 1) % 2
    # Each member is confidently right on two thirds of the rows and unsure on the rest; the sure parts differ.
    third = np.arange(300) % 3
    members = []
    for unsure in range(3):
        logits = _one_hot_logits(targets, 2, margin=4.0)
        logits[third == unsure] = _one_hot_logits(wrong, 2, margin=0.5)[third == unsure]
        members.append(logits)
    members[0] = members[0] * 1.1  # a unique best single member, so the start is defined
    score = _scorer(members, targets, "softmax", _accuracy)
    single = [score(np.eye(3)[j]) for j in range(3)]
    weights = greedy_weights(score, 3, 25, greater_is_better=True)
    assert max(single) < 0.7 and score(weights) == 1.0
    assert (weights > 0).sum() >= 2


def test_a_member_whose_metric_fails_is_never_chosen() -> None:
    targets = np.array([0.0, 1.0, 2.0])
    broken, fine = np.full(3, np.nan), targets + 0.1
    mse = lambda outputs, t: float(((outputs - t) ** 2).mean())  # noqa: E731
    weights = greedy_weights(_scorer([broken, fine], targets, "mean", mse), 2, 5, greater_is_better=False)
    assert weights.tolist() == [0.0, 1.0]


def test_combiners_average_probabilities_and_decode_back() -> None:
    logits = torch.tensor([[[2.0, 0.0]], [[0.0, 2.0]]])  # two members, one row, two classes
    weights = torch.tensor([0.75, 0.25])
    mixed = COMBINERS.get("softmax")(logits, weights)
    expected = 0.75 * logits[0].softmax(-1) + 0.25 * logits[1].softmax(-1)
    torch.testing.assert_close(mixed.softmax(-1), expected)
    torch.testing.assert_close(COMBINERS.get("sigmoid")(logits, weights).sigmoid(),
                               0.75 * logits[0].sigmoid() + 0.25 * logits[1].sigmoid())
    torch.testing.assert_close(COMBINERS.get("mean")(logits, weights), 0.75 * logits[0] + 0.25 * logits[1])
    certain = torch.tensor([[[100.0, -100.0]]])
    assert torch.isfinite(COMBINERS.get("softmax")(certain, torch.tensor([1.0]))).all()


@pytest.mark.parametrize("weights", [[0.5, 0.4], [1.0, 0.0], [0.5]])
def test_ensemble_spec_refuses_bad_weights(weights: list[float]) -> None:
    member = {"kind": "multimodal", "output_size": 2, "tabular": None}
    with pytest.raises(ValueError, match="weight"):
        EnsembleSpec([member, member], weights, "softmax")


def test_members_split_the_time_left_and_late_ones_are_skipped_when_it_ran_short() -> None:
    assert member_seconds(90.0, 3, 30.0, first=True) == 45.0  # the plain configuration: half the time
    assert member_seconds(90.0, 1, 30.0, first=True) == 90.0  # the only member: all of it
    assert member_seconds(50.0, 2, 30.0, first=False) == 25.0  # earlier members overran a little: still trained
    assert member_seconds(20.0, 2, 30.0, first=False) is None  # 10 s < half the 30 s planned: skipped
    assert member_seconds(5.0, 3, 30.0, first=True) == 2.5  # the first member always trains
    assert member_seconds(60.0, 2, 30.0, first=False, overhead=20.0) is None  # members ran 20 s over their limits
    assert member_seconds(math.inf, 2, math.inf, first=False) == math.inf  # no time limit
