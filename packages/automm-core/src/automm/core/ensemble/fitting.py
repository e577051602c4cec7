"""Fit an ensemble over the variant pool: train each member within its share of the time left, then weight them by
greedy selection."""

from __future__ import annotations

import logging
import math
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..inference import run_network
from ..results import FitResult
from ..state import PredictorState
from ..training.budget import Deadline, parameter_bytes, save_seconds
from ..training.engine import fit_network
from .variants import Member, build_member, plan_variants
from .weighting import Trained, weigh

logger = logging.getLogger("automm")
# A member starts only if its share of the time left is at least this fraction of an equal split at the start:
# less would train it too briefly to help, and later members would get less still.
MIN_SHARE = 0.5
# The first member (the plain configuration) gets this fraction of the time, the others split the rest: at a tight
# budget, members trained for a sliver each are all weak, and the ensemble must not end worse than a half-budget
# single model (selection starts from the best member and adds others only where validation improves).
FIRST_MEMBER_SHARE = 0.5
Rows = tuple[pd.DataFrame, np.ndarray]


def fit_ensemble(state: PredictorState, features: pd.DataFrame, train_rows: Rows, val_rows: Rows,
                 select_rows: Rows | None, workdir: Path, deadline: Deadline, verbosity: int = 2,
                 measured_save: float | None = None) -> tuple[FitResult, dict[str, Any]]:
    """Train the members planned from ``state`` (``features``: the rows its processors were fitted on; each member
    early-stops on ``val_rows``), weight them on ``select_rows`` (None: too few validation rows to hold any out;
    ``val_rows`` then) and put the ensemble network into ``state``.
    Returns the fit result and the ensemble's report (each member's variant, selection score and weight) for
    ``fit_summary["ensemble"]``.

    ``measured_save`` is the seconds one save of the single network took; the final save writes every member.
    """
    started = time.monotonic()
    selection = val_rows if select_rows is None else select_rows
    planned = plan_variants(state)
    # Every member is saved at the end: its weights are the predictor's network's size.
    reserve = save_seconds(parameter_bytes(state.net) * len(planned),
                           measured_save * len(planned) if measured_save is not None else None)
    others = len(planned) - 1
    equal_share = (deadline.remaining() - reserve) * (1 - FIRST_MEMBER_SHARE) / others if others else math.inf
    trained: list[Trained] = []
    skipped: list[str] = []
    outputs_seconds = overrun = 0.0  # the last validation outputs pass; the most a member ran past its deadline
    for index, (variant, config) in enumerate(planned):
        budget = member_seconds(deadline.remaining() - reserve, len(planned) - index, equal_share, not trained,
                                outputs_seconds + overrun)
        if budget is None:
            skipped.append(variant.name)
            continue
        member_started = time.monotonic()
        member_deadline = deadline.within(budget)  # the member's build counts
        member = build_member(state, features, variant, config)
        result = train_member(state, member, train_rows, val_rows, workdir / f"member-{index}", member_deadline,
                               verbosity)
        overrun = max(overrun, time.monotonic() - member_started - budget)
        pass_started = time.monotonic()
        outputs = run_network(member.net, state.processors, selection[0], config.env.eval_batch_size,
                              progress=False)
        outputs_seconds = time.monotonic() - pass_started
        trained.append(Trained(member, result, outputs))
    if skipped:
        logger.warning("ensemble: no time left for variant(s) %s; give fit a larger time_limit to train them.",
                       skipped)
    report = weigh(state, trained, selection[1])
    report["skipped"] = skipped
    report["selection_rows"] = 0 if select_rows is None else len(select_rows[0])
    results = [t.result for t in trained]
    stopped_by = "time_limit" if skipped or any(r.stopped_by == "time_limit" for r in results) else (
        results[0].stopped_by)
    return FitResult(report["val_score"], sum(r.soup_size for r in results), sum(r.epochs for r in results),
                     sum(r.steps for r in results), time.monotonic() - started, stopped_by,
                     validation_metric=report["metric"]), report


def member_seconds(remaining: float, members_left: int, equal_share: float, first: bool, overhead: float = 0.0,
                   ) -> float | None:
    """The next member's deadline in seconds: for the ``first`` member to train, ``FIRST_MEMBER_SHARE`` of
    ``remaining`` (all of it when it is the only one); for the others an equal split of ``remaining`` among the
    members left (so time a member did not use goes to the later ones); less ``overhead`` (its validation outputs
    pass, and what earlier members ran past their deadlines). None (skip it) when a later member's share is under
    ``MIN_SHARE`` of ``equal_share``, the split planned at the start. Infinite without a time limit."""
    fraction = (FIRST_MEMBER_SHARE if members_left > 1 else 1.0) if first else 1.0 / members_left
    share = remaining * fraction - overhead
    return None if not first and share < MIN_SHARE * equal_share else share


def train_member(state: PredictorState, member: Member, train_rows: Rows, val_rows: Rows, workdir: Path,
                  deadline: Deadline, verbosity: int) -> FitResult:
    """One normal fit of ``member``'s network, as a single-network predictor trains; its checkpoints are removed."""
    shutil.rmtree(workdir, ignore_errors=True)  # a killed fit's checkpoints must not join this member's soup
    try:
        return fit_network(member.net, state.task, state.processors, train_rows, val_rows, member.config, workdir,
                           deadline, verbosity=verbosity)
    finally:
        member.net.eval()
        shutil.rmtree(workdir, ignore_errors=True)
