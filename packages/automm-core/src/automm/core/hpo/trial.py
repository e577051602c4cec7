"""One Ray Tune trial: a normal automm fit of the sampled hyperparameters, saved to the trial's own folder,
reporting each validation score to Tune so a scheduler such as ASHA can stop it early."""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import lightning.pytorch as pl

from ..fitting.fitter import fit
from ..fitting.settings import FitOptions, FitRows, PredictorSettings
from ..training.budget import Deadline
from ..training.module import VAL_SCORE

SCORE = "score"  # the metric name reported to Tune
FINISHED = "finished"  # set on a trial's last report, after its predictor is saved


@dataclass(frozen=True)
class TrialJob:
    """What every trial shares: the predictor's settings (the fixed hyperparameters), the fit's options and the
    search's deadline (on the wall clock: trials run in other processes, on a cluster on other machines)."""

    settings: PredictorSettings
    options: FitOptions
    root: str  # absolute folder holding one subfolder per trial
    working_dir: str  # the caller's working directory, so relative paths in the data resolve as in the caller
    deadline: Deadline  # by which each trial's fit must end


class TuneReporter(pl.Callback):
    """Reports the validation score to Ray Tune after each validation pass (rank 0 only)."""

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking or not trainer.is_global_zero or VAL_SCORE not in trainer.callback_metrics:
            return
        from ray import tune

        tune.report({SCORE: float(trainer.callback_metrics[VAL_SCORE]), FINISHED: False})


def trial_folder(root: str, trial_id: str) -> Path:
    return Path(root) / f"trial_{trial_id}"


def run_trial(config: dict[str, Any], job: TrialJob, rows: FitRows) -> None:
    """The Tune trainable: fit with ``config`` on top of the fixed hyperparameters, then report the final score."""
    from ray import tune

    from ..console import quiet_frameworks

    os.chdir(job.working_dir)  # Tune starts trials in their own folders
    if job.deadline.remaining() <= 0:
        return
    folder = trial_folder(job.root, tune.get_context().get_trial_id())
    settings = replace(job.settings, hyperparameters={**job.settings.hyperparameters, **config})
    started = time.monotonic()
    with quiet_frameworks(0):
        options = replace(job.options, callbacks=[TuneReporter()], spend_budget=False)
        state = fit(None, settings, rows, job.deadline, folder, options)
    score = state.fit_info.get("best_val_score", math.nan)
    tune.report({SCORE: float(score), FINISHED: True, "fit_seconds": time.monotonic() - started})
