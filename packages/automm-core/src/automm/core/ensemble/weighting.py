"""Weight trained members by greedy selection on rows they did not early-stop on, and put the result in the state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..inference import score_outputs
from ..metric_choice import for_validation
from ..models.ensemble import EnsembleNet, EnsembleSpec, combine_chosen
from ..models.network import spec_to_json
from ..results import FitResult
from ..state import PredictorState
from .selection import greedy_weights
from .variants import Member


@dataclass
class Trained:
    """A member after its fit: how the fit went, and its outputs on the selection rows."""

    member: Member
    result: FitResult
    outputs: np.ndarray | None  # None where no selection rows are held out
    outputs_seconds: float = 0.0  # the pass that computed ``outputs``


def member_score(state: PredictorState, outputs: np.ndarray, targets: np.ndarray) -> float:
    """One member's score on the tracked metric."""
    metric, _ = for_validation(state.task, targets)
    return float(score_outputs(state.task.metric([metric]), outputs, targets)[metric])


def weigh(state: PredictorState, trained: list[Trained], targets: np.ndarray | None, keep_single: bool = False,
          ) -> dict[str, Any]:
    """Weights by greedy selection on the tracked metric (``validation_metric=`` / ``eval_metric=`` / the task's
    default) over the members' outputs for ``targets`` (None: no rows to select on, equal weights); members of
    weight 0 are dropped and ``state`` gets the network. Members of one kind (the same overrides: bags and seeds of
    a configuration) are averaged and selected together, as AutoGluon averages a bag's fold models, so the selection
    fits fewer weights to the rows' noise. With ``keep_single``, a lone member left is stored as the plain network
    it is, not a one-member ensemble. Returns the report: the metric, the combination's score (None without
    ``targets``), and each member's variant, score (its own early-stopping score without ``targets``) and weight.
    """
    task = state.task
    if targets is None:
        weights = np.full(len(trained), 1.0 / len(trained))
        metric, combined = trained[0].result.validation_metric, None
        scores = [t.result.best_val_score for t in trained]
    else:
        metric, greater_is_better = for_validation(task, targets)
        stacked = np.stack([t.outputs for t in trained])

        def score_of(weights: np.ndarray) -> float:
            return member_score(state, combine_chosen(task.ensemble_combine, stacked, weights), targets)

        share = _kind_shares(trained)
        kind_weights = greedy_weights(lambda w: score_of(w @ share), len(share),
                                      state.config.ensemble.selection_rounds, greater_is_better)
        weights = kind_weights @ share
        combined = float(score_of(weights))
        scores = [member_score(state, t.outputs, targets) for t in trained]
    _install(state, [t.member for t in trained], weights, keep_single)
    return {
        "metric": metric,
        "val_score": combined,
        "members": [{"variant": t.member.variant.name, "overrides": dict(t.member.variant.overrides),
                     "val_score": score, "weight": float(weight), "seconds": t.result.seconds,
                     "stopped_by": t.result.stopped_by} for t, score, weight in zip(trained, scores, weights)],
    }


def _install(state: PredictorState, members: list[Member], weights: np.ndarray, keep_single: bool) -> None:
    """``state`` gets the members of nonzero weight: an ensemble, or with ``keep_single`` a lone member as is."""
    kept = [(m, float(w)) for m, w in zip(members, weights) if w > 0]
    if keep_single and len(kept) == 1:
        state.network_spec, state.net = kept[0][0].spec, kept[0][0].net.eval()
        return
    combine = state.task.ensemble_combine
    state.network_spec = EnsembleSpec([spec_to_json(m.spec) for m, _ in kept], [w for _, w in kept], combine,
                                      [m.variant.name for m, _ in kept])
    state.net = EnsembleNet([m.net for m, _ in kept], [w for _, w in kept], combine).eval()


def _kind_shares(trained: list[Trained]) -> np.ndarray:
    """``[kinds, members]``: row k spreads kind k's weight evenly over its members (kinds in first-seen order)."""
    kinds: list[dict[str, Any]] = []
    for t in trained:
        if dict(t.member.variant.overrides) not in kinds:
            kinds.append(dict(t.member.variant.overrides))
    share = np.array([[float(dict(t.member.variant.overrides) == kind) for t in trained] for kind in kinds])
    return share / share.sum(axis=1, keepdims=True)
