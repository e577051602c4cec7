"""One Ray Tune trial: a normal automm fit of the sampled hyperparameters, saved to the trial's own folder,
reporting each validation score to Tune so a scheduler such as ASHA can stop it early."""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import pandas as pd

from ..training.module import VAL_SCORE

SCORE = "score"  # the metric name reported to Tune
FINISHED = "finished"  # set on a trial's last report, after its predictor is saved


@dataclass(frozen=True)
class TrialJob:
    """What every trial shares: the predictor's settings, the fit's arguments and the search's end."""

    predictor_class: type  # the caller's MultiModalPredictor class (a subclass works too)
    label: list[str]
    problem_type: str
    preset: str | None
    fixed: dict[str, Any]
    task_arguments: dict[str, Any]
    eval_metric: str | None
    column_types: dict[str, str] | None
    holdout_frac: float | None
    seed: int
    root: str  # absolute folder holding one subfolder per trial
    working_dir: str  # the caller's working directory, so relative paths in the data resolve as in the caller
    ends_at: float | None  # wall-clock time (time.time()) by which each trial's fit must end


class TuneReporter(pl.Callback):
    """Reports the validation score to Ray Tune after each validation pass (rank 0 only)."""

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking or not trainer.is_global_zero or VAL_SCORE not in trainer.callback_metrics:
            return
        from ray import tune

        tune.report({SCORE: float(trainer.callback_metrics[VAL_SCORE]), FINISHED: False})


def trial_folder(root: str, trial_id: str) -> Path:
    return Path(root) / f"trial_{trial_id}"


def run_trial(config: dict[str, Any], job: TrialJob, train_data: pd.DataFrame,
              tuning_data: pd.DataFrame | None) -> None:
    """The Tune trainable: fit with ``config`` on top of the fixed hyperparameters, then report the final score."""
    from ray import tune

    from ..console import quiet_frameworks

    os.chdir(job.working_dir)  # Tune starts trials in their own folders
    time_limit = None if job.ends_at is None else job.ends_at - time.time()
    if time_limit is not None and time_limit <= 0:
        return
    folder = trial_folder(job.root, tune.get_context().get_trial_id())
    predictor = job.predictor_class(label=job.label, problem_type=job.problem_type, path=folder, presets=job.preset,
                                    hyperparameters={**job.fixed, **config}, eval_metric=job.eval_metric,
                                    verbosity=0, **job.task_arguments)
    started = time.monotonic()
    with quiet_frameworks(0):
        predictor._fit(train_data, tuning_data, time_limit, None, None, job.column_types, job.holdout_frac,
                       job.seed, 0, callbacks=[TuneReporter()])
    score = predictor.fit_summary.get("best_val_score", math.nan)
    tune.report({SCORE: float(score), FINISHED: True, "fit_seconds": time.monotonic() - started})
