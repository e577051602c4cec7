"""What a fit is made of: the predictor's settings, the labelled rows, and the fit call's options."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..autogluon_values import as_hyperparameters
from ..data.rows import labelled_rows
from ..discovery import read_rows, task_class
from ..errors import ConfigError
from ..metric_choice import choose
from ..metric_names import implied_problem_type
from ..suggest import did_you_mean

if TYPE_CHECKING:
    from ..results import MetricChoice
    from ..state import PredictorState


@dataclass(frozen=True)
class PredictorSettings:
    """What a ``MultiModalPredictor`` was made with: everything a new state needs besides the rows."""

    label_columns: list[str]
    problem_type: str | None
    task_arguments: dict[str, Any] = field(default_factory=dict)
    presets: str | None = None
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    eval_metric: str | None = None
    validation_metric: str | None = None

    @classmethod
    def create(cls, label: str | Sequence[str] | None, problem_type: str | None, presets: str | None,
               hyperparameters: Mapping[str, Any] | str | list[str] | None, eval_metric: str | None,
               shortcuts: Mapping[str, Any], task_arguments: dict[str, Any],
               validation_metric: str | None = None) -> PredictorSettings:
        """``MultiModalPredictor(...)``'s arguments checked; ``shortcuts`` (``use_ensemble=`` and the like, as
        dotted keys) join the hyperparameters unless None. The metric names are checked against ``problem_type``
        here when it is given, else at fit once it is inferred; a regression-only ``eval_metric`` (``rmse``) on one
        label column makes the problem type regression, as in AutoGluon-MM."""
        hyperparameters = as_hyperparameters(hyperparameters)  # AutoGluon's dotlist string or list too
        arguments = check_task_arguments(problem_type, task_arguments)
        merged = {**(hyperparameters or {}), **{key: value for key, value in shortcuts.items() if value is not None}}
        columns = label_columns(label, problem_type)
        problem_type = problem_type or implied_problem_type(eval_metric, len(columns))
        choose(problem_type, eval_metric, validation_metric)
        return cls(columns, problem_type, arguments, presets, merged, eval_metric, validation_metric)

    def metric_choice(self, problem_type: str) -> MetricChoice | None:
        """The chosen metrics resolved for ``problem_type``; None when neither was given."""
        if self.eval_metric is None and self.validation_metric is None:
            return None
        return choose(problem_type, self.eval_metric, self.validation_metric)

    def with_overrides(self, presets: str | None,
                       hyperparameters: Mapping[str, Any] | str | list[str] | None) -> PredictorSettings:
        """These settings with a fit call's ``presets`` (when given) and ``hyperparameters`` on top."""
        return replace(self, presets=presets or self.presets,
                       hyperparameters={**self.hyperparameters, **(as_hyperparameters(hyperparameters) or {})})

    def labelled(self, data: Any, role: str) -> pd.DataFrame:
        """The labelled rows of ``data`` (a table or a path, read as the problem type reads it)."""
        return labelled_rows(read_rows(data, role, self.problem_type), self.label_columns, role)


@dataclass(frozen=True)
class FitRows:
    """The labelled training rows and, when the caller gave some, the labelled tuning (validation) rows."""

    train: pd.DataFrame
    tuning: pd.DataFrame | None = None

    @classmethod
    def read(cls, settings: PredictorSettings, train_data: Any, tuning_data: Any = None) -> FitRows:
        tuning = None if tuning_data is None else settings.labelled(tuning_data, "tuning_data")
        return cls(settings.labelled(train_data, "train_data"), tuning)


@dataclass(frozen=True)
class FitOptions:
    """A fit call's options besides the rows and the deadline.

    ``presets``/``hyperparameters``/``column_types`` apply to a first fit only. ``teacher`` distils a fitted
    state or a saved predictor's path into this fit (``teacher_path``: where a state teacher is saved).
    ``resume_from`` continues a killed fit from its checkpoint; ``callbacks`` are extra Lightning callbacks.
    ``spend_budget`` False trains one network whatever ``ensemble.budget`` says (a search trial's fit).
    """

    presets: str | None = None
    hyperparameters: Mapping[str, Any] | None = None
    column_types: Mapping[str, str] | None = None
    holdout_frac: float | None = None
    seed: int = 0
    verbosity: int = 2
    callbacks: Sequence[Any] = ()
    teacher: PredictorState | str | Path | None = None
    teacher_path: str | None = None
    resume_from: Path | None = None
    spend_budget: bool = True


def label_columns(label: str | Sequence[str] | None, problem_type: str | None) -> list[str]:
    """``MultiModalPredictor(label=...)`` as a list of column names (the task's default label when None)."""
    if label is None and problem_type is not None:
        label = task_class(problem_type).default_label
    if label is None:
        if problem_type is None or not task_class(problem_type).labels_optional:
            raise ConfigError("label is required: the name of the column (or list of columns) to predict.")
        return []
    single = isinstance(label, str) or not isinstance(label, Sequence)
    columns = [str(label)] if single else [str(c) for c in label]
    if not columns:
        raise ConfigError("label must name at least one column.")
    if len(set(columns)) < len(columns):
        raise ConfigError(f"label names a column more than once: {columns}.")
    return columns


def constructor_shortcuts(problem_type: str | None, pretrained: bool | None,
                          ensemble_mode: str | None) -> dict[str, Any]:
    """AutoGluon-MM's constructor arguments ``pretrained`` and ``ensemble_mode`` as dotted hyperparameter keys.

    ``pretrained=False`` starts every backbone the task builds (text, image) from random weights.
    """
    if ensemble_mode not in (None, "one_shot"):
        fix = ("automm's ensemble trains its variants and selects greedily once, as 'one_shot'; pass "
               "ensemble_mode='one_shot' or leave it out") if ensemble_mode == "sequential" else "pass 'one_shot'"
        raise ConfigError(f"ensemble_mode={ensemble_mode!r} is not available: AutoGluon-MM's 'sequential' mode "
                          f"stacks learners on earlier ones' predictions, which automm does not do; {fix}.")
    if pretrained is None or pretrained:
        return {}
    sections = task_class(problem_type).config_sections if problem_type is not None else ("model",)
    keys = [key for key in ("model.text.pretrained", "model.image.pretrained")
            if any(key == s or key.startswith(f"{s}.") for s in sections)]
    if not keys:
        raise ConfigError(f"pretrained=False is not available for problem_type {problem_type!r}: its task builds "
                          "no backbone from core's model.* settings. See the task's own 'task.*' settings.")
    return dict.fromkeys(keys, False)


PRESET_QUALITIES = ("medium_quality", "high_quality", "best_quality")


def fit_shortcuts(tuning_data: Any, max_num_tuning_data: int | None, standalone: bool, clean_ckpts: bool,
                  ensemble_inputs: Mapping[str, Any]) -> dict[str, Any]:
    """AutoGluon-MM's ``fit`` arguments checked; ``max_num_tuning_data`` as its dotted hyperparameter key.

    ``ensemble_inputs`` are ``predictions``/``labels``/``predictors`` (an ensemble of precomputed outputs), which
    automm refuses.
    """
    if isinstance(tuning_data, str) and tuning_data.removesuffix("_hpo") in PRESET_QUALITIES:
        raise ConfigError(f"fit()'s second positional argument is tuning_data in automm, got the preset name "
                          f"{tuning_data!r} (AutoGluon-MM's second is presets): write fit(train_data, "
                          f"presets={tuning_data!r}).")
    if not standalone:
        raise ConfigError("standalone=False is not available: AutoGluon-MM then leaves the backbone configs out of "
                          "the save; an automm save always holds everything needed to load offline. Remove it.")
    if not clean_ckpts:
        raise ConfigError("clean_ckpts=False is not available: automm's save replaces the predictor folder with the "
                          "final model, so intermediate checkpoints are never kept. Remove it.")
    given = [name for name, value in ensemble_inputs.items() if value is not None]
    if given:
        raise ConfigError(f"fit() does not take {given}: AutoGluon-MM ensembles precomputed predictions or other "
                          "predictors there; automm's ensemble trains its own variants: pass use_ensemble=True to "
                          "MultiModalPredictor(...) (or presets='best_quality').")
    return {} if max_num_tuning_data is None else {"optim.max_num_tuning_data": max_num_tuning_data}


def check_task_arguments(problem_type: str | None, arguments: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments a task reads (``query=``, ``response=``...), checked against the task's list."""
    accepted = task_class(problem_type).arguments if problem_type is not None else ()
    unknown = [name for name in arguments if name not in accepted]
    if unknown and problem_type is None:
        raise ConfigError(f"MultiModalPredictor got argument(s) {unknown} that belong to a task: pass problem_type "
                          "as well, e.g. problem_type='text_similarity' with query= and response=.")
    if unknown:
        raise ConfigError(f"MultiModalPredictor got unexpected argument(s) {unknown} for problem_type "
                          f"{problem_type!r}.{did_you_mean(unknown[0], accepted)} It accepts: {list(accepted)}.")
    return dict(arguments)
