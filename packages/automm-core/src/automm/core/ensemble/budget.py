"""Spend the time limit: when the first network stops early, keep training members in the time it left.

The policy (``ensemble.budget="auto"``, the default of every preset; "off" trains one network):

1. The first member is the predictor's own configuration, trained exactly as a single-network fit trains it.
2. While time is left, train the member most likely to help, each within the time that remains: the other tabular
   encoder (MLP <-> FT-Transformer) where the table is tabular-only or mostly tabular, then bagged members of the
   best configuration so far: each a new seed on the training rows less one of ``BAG_FOLDS`` folds (k-fold bagging,
   as AutoGluon's tabular predictor bags; above ``BAG_MAX_ROWS`` training rows, all the rows with a new seed).
3. Weight the members by greedy selection on the selection slice (validation rows none of them early-stopped on,
   ``automm.core.ensemble.holdout``). A lone member that nothing improves on is kept as the plain network it is.
   Where the validation rows are too few to hold a slice out (small tables), only bags of the first configuration
   are trained, and averaged with equal weights: choosing between kinds needs rows to choose on.

The policy is off (one network) for a continued, resumed or distilled fit, a search trial, and a fit whose
``optim.max_epochs`` or ``optim.max_steps`` the user set: that fit was asked to stop there.

A member starts only when the time left is at least ``START_FRACTION`` of what the last member of its kind took
(the first member's time for a new kind), so the last one is not a sliver; the final save of every member and the
passes over the validation rows are reserved out of the limit, so the fit still ends by ``time_limit``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import numpy as np
import pandas as pd

from ..building import tabular_model
from ..inference import run_network
from ..metric_choice import for_validation
from ..results import FitResult
from ..state import PredictorState
from ..training.budget import Deadline, parameter_bytes, save_seconds
from ..training.engine import fit_network
from .fitting import train_member
from .variants import Member, Variant, build_member
from .weighting import Trained, member_score, weigh

logger = logging.getLogger("automm")
Rows = tuple[pd.DataFrame, np.ndarray]

MAX_MEMBERS = 8  # the cap when ensemble.size is 0: each member adds its forward pass to every prediction
MIN_LEFT_FRACTION = 0.15  # after the first member, go on only if this share of time_limit is left
START_FRACTION = 0.5
MIN_MEMBER_SECONDS = 3.0
BAG_FOLDS = 5
BAG_MAX_ROWS = 20_000
DEFAULT = Variant("default", {})


@dataclass
class BudgetRows:
    """Encoded rows: training, early stopping (``stop``), weighting (``select``; None: too few to hold out)."""

    train: Rows
    stop: Rows
    select: Rows | None


def off_reason(state: PredictorState, deadline: Deadline, continued: bool, distilled: bool, resumed: bool,
               capped: bool) -> str | None:
    """Why this fit trains one network rather than spending its budget on members; None when the policy applies."""
    config = state.config.ensemble
    reasons = [
        (config.budget == "off", "ensemble.budget='off'"),
        (config.enabled, "use_ensemble trains the variant pool instead"),
        (state.task.ensemble_combine is None, f"{state.problem_type} outputs cannot be averaged"),
        (not deadline.limited, "no time_limit: there is no budget to spend"),
        (continued, "a continued fit trains its one network further"),
        (distilled, "distillation trains one student"),
        (resumed, "a resumed fit finishes its one network"),
        (capped, "optim.max_epochs / optim.max_steps given: one network, trained as long as asked"),
    ]
    return next((reason for applies, reason in reasons if applies), None)


def fit_within_budget(state: PredictorState, features: pd.DataFrame, rows: BudgetRows, workdir: Path,
                      deadline: Deadline, seed: int, verbosity: int, callbacks: Any,
                      measured_save: float | None) -> tuple[FitResult, dict[str, Any]]:
    """Train the first member, then more while the budget allows (module docstring); weigh them on
    ``rows.select`` and put the result into ``state``. Returns the fit result and ``fit_summary["ensemble"]``."""
    started = time.monotonic()
    first = Member(DEFAULT, state.config, state.network_spec, state.net)
    result = fit_network(state.net, state.task, state.processors, rows.train, rows.stop, state.config, workdir,
                         deadline, verbosity=verbosity, callbacks=callbacks,
                         save_seconds=save_seconds(parameter_bytes(state.net), measured_save))
    state.net.eval()
    trained = [_with_outputs(state, first, result, rows.select)]
    planner = _Planner(state, features, rows, seed, measured_save)
    reason = planner.stop_reason(trained, result, deadline)
    while reason is None:
        trained.append(planner.train_next(trained, workdir.parent / f"member-{len(trained)}", deadline, verbosity))
        reason = planner.stop_reason(trained, trained[-1].result, deadline)
    logger.info("ensemble: %d member(s) trained; stopped: %s", len(trained), reason)
    report = weigh(state, trained, None if rows.select is None else rows.select[1], keep_single=True)
    report["stopped"] = reason
    report["selection_rows"] = 0 if rows.select is None else len(rows.select[0])
    results = [t.result for t in trained]
    score = results[0].best_val_score if report["val_score"] is None else report["val_score"]
    stopped_by = results[0].stopped_by if len(trained) == 1 else (
        "ensemble_size" if reason.startswith("ensemble.size") else "time_limit")
    return FitResult(score, sum(r.soup_size for r in results), sum(r.epochs for r in results),
                     sum(r.steps for r in results), time.monotonic() - started, stopped_by,
                     validation_metric=report["metric"]), report


class _Planner:
    """Which member comes next, on which rows, and whether the time left allows it."""

    def __init__(self, state: PredictorState, features: pd.DataFrame, rows: BudgetRows, seed: int,
                 measured_save: float | None):
        self.state, self.features, self.rows, self.seed = state, features, rows, seed
        self.cap = state.config.ensemble.size or MAX_MEMBERS
        self.member_bytes = parameter_bytes(state.net)
        self.measured_save = measured_save
        self.outputs_seconds = 0.0  # the slowest selection-rows pass of one member so far
        self.sign = 1.0 if rows.select is None or for_validation(state.task, rows.select[1])[1] else -1.0
        count = len(rows.train[0])
        order = np.random.default_rng(seed).permutation(count)
        self.folds = np.array_split(order, BAG_FOLDS) if count <= BAG_MAX_ROWS else None

    def reserve(self, members: int) -> float:
        """Seconds kept for the end with ``members`` trained: their save, and passes over the validation rows."""
        saved = save_seconds(self.member_bytes * members,
                             None if self.measured_save is None else self.measured_save * members)
        return saved + 3 * members * self.outputs_seconds

    def stop_reason(self, trained: list[Trained], last: FitResult, deadline: Deadline) -> str | None:
        """Why no further member starts, or None to train the next."""
        if len(trained) == 1 and last.stopped_by == "time_limit":
            return "time_limit: the first network used the whole budget"
        if len(trained) >= self.cap:
            return f"ensemble.size: {self.cap} members trained"
        left = deadline.remaining() - self.reserve(len(trained) + 1)
        expected = self._expected_seconds(trained)
        if (len(trained) == 1 and left < MIN_LEFT_FRACTION * (deadline.seconds or 0)) or left < max(
                MIN_MEMBER_SECONDS, START_FRACTION * expected):
            return f"time_limit: {max(left, 0):.0f} s left, a member takes about {expected:.0f} s"
        return None

    def train_next(self, trained: list[Trained], workdir: Path, deadline: Deadline, verbosity: int) -> Trained:
        variant, fold = self._next(trained)
        rows = self._rows_without(fold)
        index = len(trained)
        pl.seed_everything(self.seed + index, workers=True, verbose=False)
        started = time.monotonic()
        budget = deadline.remaining() - self.reserve(index + 1) - self.outputs_seconds
        config = self.state.config.override(variant.overrides)
        member = build_member(self.state, self.features, variant, config, fresh=True)
        result = train_member(self.state, member, rows, self.rows.stop, workdir, deadline.within(budget), verbosity)
        done = _with_outputs(self.state, member, result, self.rows.select)
        self.outputs_seconds = max(self.outputs_seconds, done.outputs_seconds)
        logger.info("ensemble: member %d (%s) trained in %.1f s", index, variant.name, time.monotonic() - started)
        return done

    def _next(self, trained: list[Trained]) -> tuple[Variant, int | None]:
        """The other tabular encoder first (where it applies and is not trained yet), then bags of the best kind;
        with the fold of training rows the member leaves out (None: all of them)."""
        base = DEFAULT
        if self.rows.select is not None:
            other = self._other_encoder()
            if other is not None and all(t.member.variant != other for t in trained):
                return other, None
            bases = [DEFAULT, other]  # the kinds trained on all the training rows; bags repeat the best of them
            select = self.rows.select
            base = max((t for t in trained if t.member.variant in bases),
                       key=lambda t: self.sign * member_score(self.state, t.outputs, select[1])).member.variant
        count = sum(t.member.variant.overrides == base.overrides for t in trained)
        if self.folds is None:
            return Variant(f"{base.name}_seed{count}", base.overrides), None
        return Variant(f"{base.name}_bag{count}", base.overrides), (count - 1) % BAG_FOLDS

    def _rows_without(self, fold: int | None) -> Rows:
        """The training rows less bagging fold ``fold`` (all of them for None)."""
        if fold is None or self.folds is None:
            return self.rows.train
        kept = np.setdiff1d(np.arange(len(self.rows.train[0])), self.folds[fold])
        features, targets = self.rows.train
        return features.iloc[kept], targets[kept]

    def _other_encoder(self) -> Variant | None:
        """The tabular encoder the first member did not use, where the table is tabular-only or mostly tabular."""
        processors, columns = self.state.processors, self.state.columns
        tabular = len(processors.numerical.columns if processors.numerical else []) + len(
            processors.categorical.columns if processors.categorical else [])
        others = sum(d.type.is_used for d in columns.values()) - tabular
        if tabular == 0 or processors.image is not None or tabular < 2 * others:
            return None
        used = tabular_model(self.state.config.model.tabular.model, processors)
        other = "mlp" if used == "ft_transformer" else "ft_transformer"
        return Variant(f"tabular_{other}", {"model.tabular.model": other})

    def _expected_seconds(self, trained: list[Trained]) -> float:
        """What the next member will take: the last member of its kind, else the first member."""
        variant, _ = self._next(trained) if len(trained) < self.cap else (DEFAULT, None)
        alike = [t for t in trained if t.member.variant.overrides == variant.overrides]
        return (alike or trained[:1])[-1].result.seconds


def _with_outputs(state: PredictorState, member: Member, result: FitResult, select: Rows | None) -> Trained:
    """``member`` with its outputs on the selection rows (none without them)."""
    if select is None:
        return Trained(member, result, None)
    started = time.monotonic()
    outputs = run_network(member.net, state.processors, select[0], state.config.env.eval_batch_size, progress=False)
    return Trained(member, result, outputs, time.monotonic() - started)
