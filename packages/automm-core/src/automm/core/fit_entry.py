"""What ``MultiModalPredictor.fit`` runs: a hyperparameter search (``hpo``) or a plain fit (``fitting``).

It sits above both, since a search trial is itself a plain fit."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .fitting.fitter import fit
from .fitting.settings import FitOptions, FitRows, PredictorSettings
from .hpo.search import search, wants_search
from .persistence import check_save_target
from .state import PredictorState
from .training.budget import Deadline


def run_fit(state: PredictorState | None, settings: PredictorSettings, train_data: Any, tuning_data: Any,
            deadline: Deadline, path: Path, options: FitOptions, tune_kwargs: Mapping[str, Any] | None,
            ) -> PredictorState:
    """A hyperparameter search when a first fit asks for one (spaces, tune kwargs or an ``*_hpo`` preset), else a
    plain fit: first, continued or resumed. The data is read after the save folder is checked."""
    first = state is None or bool(state.fit_info.get("zero_shot"))
    merged = settings.with_overrides(options.presets, options.hyperparameters)
    if first and wants_search(merged.presets, merged.hyperparameters, tune_kwargs):
        if options.teacher is not None:
            raise ConfigError("teacher_predictor cannot be combined with a hyperparameter search: distil "
                              "into a predictor with fixed hyperparameters.")
        check_save_target(path)
        return search(merged, path, FitRows.read(settings, train_data, tuning_data), deadline, tune_kwargs, options)
    if tune_kwargs is not None:
        raise ConfigError("hyperparameter_tune_kwargs searches on the first fit only; this predictor is "
                          "already fitted (fit again without it to continue training).")
    check_save_target(path)
    return fit(state, settings, FitRows.read(settings, train_data, tuning_data), deadline, path, options)
