"""Run one fit: first, continued or resumed; single network, ensemble, distilled, or direct (no gradient training).

Inputs are explicit: the current state (None before the first fit), the predictor's settings, the labelled rows,
the one ``Deadline`` of the call, the folder to save to, and the call's options. Returns the fitted, saved state.
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import numpy as np
import pandas as pd

from .. import presets as preset_registry
from ..data.rows import encode_targets, feature_rows
from ..data.splitting import cap_rows, split_rows
from ..distillation import Teacher, resolve_teacher
from ..ensemble.budget import BudgetRows, fit_within_budget, off_reason
from ..ensemble.fitting import fit_ensemble
from ..ensemble.holdout import can_split, selection_split
from ..errors import ConfigError
from ..inference import run_network
from ..metric_choice import fit_info as metric_info
from ..persistence import PREDICTOR_FILE, TRAINING_DIR, check_save_target, save_state
from ..results import FitResult
from ..state import PredictorState
from ..training.budget import Deadline, parameter_bytes, save_seconds
from ..training.engine import fit_network
from ..training.tricks import check_supported
from .loading import CHECKPOINT_DIR, SKELETON_DIR
from .settings import FitOptions, FitRows, PredictorSettings
from .start import new_state

logger = logging.getLogger("automm")
Encoded = tuple[pd.DataFrame, np.ndarray]


def fit(state: PredictorState | None, settings: PredictorSettings, rows: FitRows, deadline: Deadline, path: Path,
        options: FitOptions) -> PredictorState:
    """Fit a new state (``state`` None or zero-shot) or continue ``state``; save the result at ``path``.

    A fit that raises leaves a saved predictor at ``path`` as it was: the work folder it made there is removed (a
    killed fit's stays, for ``load(resume=True)``)."""
    check_save_target(path)
    pl.seed_everything(options.seed, workers=True, verbose=False)
    continued = state is not None and not state.fit_info.get("zero_shot")
    state = starting_state(state, settings, rows.train, options)
    new_workdir = not (path / TRAINING_DIR).exists()  # else a killed fit's, which this one may resume from
    try:
        if state.task.fits_directly:
            fit_directly(state, rows, deadline, options)
        else:
            capped = not continued and _training_capped(state, options.presets or settings.presets)
            fit_trained(state, rows, deadline, path, options, continued, capped)
    except Exception:
        if new_workdir and (path / PREDICTOR_FILE).is_file():  # a saved predictor's folder is left as it was
            shutil.rmtree(path / TRAINING_DIR, ignore_errors=True)
        raise
    logger.info("fit done: %s", state.fit_info)
    save_state(state, path)
    return state


def _training_capped(state: PredictorState, presets: str | None) -> bool:
    """Whether the user set how long the network trains (``optim.max_epochs`` / ``optim.max_steps`` differ from
    the preset's): a fit asked to stop there trains one network, whatever time is left."""
    preset, optim = preset_registry.resolve(state.problem_type, presets).optim, state.config.optim
    return (optim.max_epochs, optim.max_steps) != (preset.max_epochs, preset.max_steps)


def starting_state(state: PredictorState | None, settings: PredictorSettings, data: pd.DataFrame,
                   options: FitOptions) -> PredictorState:
    """A new state for a first fit, else ``state`` checked to be one that can continue training."""
    if state is None or state.fit_info.get("zero_shot"):
        return new_state(settings.with_overrides(options.presets, options.hyperparameters), data,
                         options.column_types)
    if options.presets or options.hyperparameters or options.column_types:
        raise ConfigError("presets, hyperparameters and column_types are fixed after the first fit.")
    if state.network_spec.kind == "ensemble":
        raise ConfigError("An ensemble predictor cannot continue training: fit a new MultiModalPredictor "
                          "(use_ensemble=True) on all the data instead.")
    return state


def encode(state: PredictorState, rows: pd.DataFrame, role: str) -> Encoded:
    """(features the processors read, encoded targets) of labelled ``rows``."""
    features = feature_rows(rows, state.feature_columns, state.task, role, state.config.env.realtime_max_rows,
                            state.processors, training=True)
    return features, encode_targets(state.task, state.label_columns, rows, role)


def holdout(state: PredictorState, rows: FitRows, options: FitOptions) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training rows, validation rows): the tuning rows when given, else a holdout split; validation capped."""
    if rows.tuning is not None:
        train, val = rows.train, rows.tuning
    else:
        groups = state.task.stratify_key(rows.train[state.label_columns])
        train, val = split_rows(rows.train, groups, options.holdout_frac, options.seed)
    return train, cap_rows(val, state.config.optim.max_num_tuning_data, options.seed)  # mAP passes are slow


def fit_directly(state: PredictorState, rows: FitRows, deadline: Deadline, options: FitOptions) -> None:
    """A task that sets its network's weights itself (no Lightning): on every row, no holdout split."""
    if options.teacher is not None:
        raise ConfigError(f"teacher_predictor does not apply to {state.problem_type}: it fits a classifier "
                          "on frozen embeddings without gradient training. Remove teacher_predictor.")
    if options.holdout_frac is not None:
        raise ConfigError(f"holdout_frac does not apply to {state.problem_type}: it fits every row and "
                          "validates itself (see its documentation). Remove holdout_frac, or pass "
                          "tuning_data to score the fit on rows of your own.")
    if state.config.ensemble.enabled:
        logger.warning("%s fits one classifier on frozen embeddings: the ensemble setting is ignored.",
                       state.problem_type)
    val_set = None if rows.tuning is None else encode(state, rows.tuning, "tuning_data")
    train_set = encode(state, rows.train, "train_data")
    result = state.task.fit_directly(state.net, state.processors, train_set, val_set, state.config, deadline,
                                     options.seed)
    state.net.eval()
    state.fit_info = {**asdict(result), "train_rows": len(rows.train),
                      "validation_rows": 0 if val_set is None else len(val_set[0]), "seed": options.seed,
                      **metric_info(state.task, result.validation_metric)}


def fit_trained(state: PredictorState, rows: FitRows, deadline: Deadline, path: Path, options: FitOptions,
                continued: bool = False, capped: bool = False) -> None:
    """Gradient training of one network (distilled from a teacher, or resumed) or of an ensemble: over the variant
    pool (``ensemble.enabled``) or over the members the time limit allows (``ensemble.budget``; not for a
    ``continued`` fit or one whose training length the user ``capped``)."""
    # All input checks happen before anything is written, so bad data leaves no half-made predictor behind.
    check_supported(state.net, state.processors, state.config, state.problem_type)
    train_rows, val_rows = holdout(state, rows, options)
    single = off_reason(state, deadline, continued, options.teacher is not None, options.resume_from is not None,
                        capped)
    single = "off: a search trial" if single is None and not options.spend_budget else single
    select_rows = None
    if (state.config.ensemble.enabled or single is None) and can_split(len(val_rows)):
        val_rows, select_rows = selection_split(state, val_rows, options.seed)
    role = "tuning_data" if rows.tuning is not None else "train_data"
    train_set = encode(state, train_rows, "train_data")
    val_set = encode(state, val_rows, role)
    select_set = None if select_rows is None else encode(state, select_rows, role)
    teacher = _teacher(state, options)
    auxiliary = [] if teacher is None else teacher.objectives(state, train_rows, progress=options.verbosity >= 2)
    workdir = path / TRAINING_DIR
    skeleton_seconds = None
    if options.resume_from is None:
        started = time.monotonic()
        save_state(state, workdir / SKELETON_DIR)
        skeleton_seconds = time.monotonic() - started
    extra_info: dict[str, Any] = {}
    features = rows.train[list(state.columns)]
    if state.config.ensemble.enabled:
        result, extra_info["ensemble"] = fit_ensemble(state, features, train_set, val_set, select_set,
                                                      workdir / CHECKPOINT_DIR, deadline, options.verbosity,
                                                      skeleton_seconds)
    elif single is None:
        result, extra_info["ensemble"] = fit_within_budget(
            state, features, BudgetRows(train_set, val_set, select_set), workdir / CHECKPOINT_DIR, deadline,
            options.seed, options.verbosity, options.callbacks, skeleton_seconds)
    else:
        result = fit_network(state.net, state.task, state.processors, train_set, val_set, state.config,
                             workdir / CHECKPOINT_DIR, deadline, auxiliary, resume_from=options.resume_from,
                             verbosity=options.verbosity, callbacks=options.callbacks,
                             save_seconds=save_seconds(parameter_bytes(state.net), skeleton_seconds))
        extra_info["ensemble_budget"] = single
    _finish(state, result, _joined(val_set, select_set), len(train_rows), options.seed, extra_info)
    if teacher is not None:
        state.fit_info["distillation"] = teacher.summary(state, auxiliary)


def _joined(val_set: Encoded, select_set: Encoded | None) -> Encoded:
    """All the validation rows, the selection slice's included."""
    if select_set is None:
        return val_set
    return pd.concat([val_set[0], select_set[0]]), np.concatenate([val_set[1], select_set[1]])


def _teacher(state: PredictorState, options: FitOptions) -> Teacher | None:
    if options.teacher is None:
        return None
    if state.config.ensemble.enabled:
        raise ConfigError("teacher_predictor cannot be combined with an ensemble (use_ensemble, or "
                          "presets='best_quality'): distil into a single model, e.g. use_ensemble=False.")
    return resolve_teacher(options.teacher, state, options.teacher_path)


def _finish(state: PredictorState, result: FitResult, val_set: Encoded, train_rows: int, seed: int,
            extra_info: dict[str, Any]) -> None:
    """Eval mode, the task's calibration on the validation rows, and ``fit_info``."""
    state.net.eval()
    if state.task.calibrates:  # a forward pass only for tasks that calibrate
        env = state.config.env
        outputs = run_network(state.net, state.processors, val_set[0], env.eval_batch_size,
                              num_workers=env.num_workers, realtime_max_rows=env.realtime_max_rows, progress=False)
        state.task.calibrate(outputs, val_set[1])
    state.fit_info = {**asdict(result), "train_rows": train_rows, "validation_rows": len(val_set[0]),
                      "seed": seed, **metric_info(state.task, result.validation_metric), **extra_info}
