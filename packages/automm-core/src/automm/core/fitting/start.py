"""A new, untrained predictor state: the task fitted on the labels, the config resolved, the network built."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import pandas as pd

from .. import presets as preset_registry
from ..config import check_applicable
from ..data.column_types import describe_column_types, detect_column_types
from ..data.ingest import require_columns
from ..discovery import fitted_problem_type, task_class
from ..errors import ConfigError, InputError
from ..models.network import spec_to_json
from ..state import PredictorState, build_state
from .settings import PredictorSettings

logger = logging.getLogger("automm")


def new_state(settings: PredictorSettings, data: pd.DataFrame, column_types: Mapping[str, str] | None = None,
              zero_shot: bool = False) -> PredictorState:
    """A state built from ``data`` (labelled rows; for ``zero_shot``, any rows, which may lack the labels).

    Every check on the settings and the columns happens here, before anything is written.
    """
    labels = data.reindex(columns=settings.label_columns) if zero_shot else data[settings.label_columns]
    problem_type = fitted_problem_type(settings.problem_type, labels)
    choice = settings.metric_choice(problem_type)  # checked before anything is built
    task = task_class(problem_type).fit(labels, problem_type, settings.task_arguments)
    task = task.for_zero_shot() if zero_shot else task
    config = preset_registry.resolve(problem_type, settings.presets)
    check_applicable(settings.hyperparameters, type(task).config_sections, type(task).config_hints, problem_type)
    task, config = task.configure(config.override(settings.hyperparameters), settings.hyperparameters)
    if config.ensemble.enabled and task.ensemble_combine is None:
        raise ConfigError(f"use_ensemble (hyperparameter 'ensemble.enabled') is not available for problem_type "
                          f"{problem_type!r}: its outputs cannot be averaged across models. Pass "
                          "use_ensemble=False (a best_quality preset of a task that supports it turns it on).")
    inputs = task.input_columns
    if inputs is not None:
        present = [c for c in inputs if c in data.columns]
        if not zero_shot:
            why = (f"named in MultiModalPredictor({settings.task_arguments})" if settings.task_arguments
                   else f"the {problem_type} task reads it")
            require_columns(data, inputs, "train_data", why)
        data = data.reindex(columns=settings.label_columns + present)  # zero-shot data may lack the labels
    columns = detect_column_types(data, settings.label_columns, column_types)
    used = [c for c, d in columns.items() if d.type.is_used]
    if not used and inputs is None:
        raise InputError(
            "No usable feature column: every column besides the label is empty, constant or an id.\n"
            + describe_column_types(columns) + "\nSet column_types={...} to force a column's type."
        )
    logger.info("column types:\n%s", describe_column_types(columns))
    state = build_state(data[list(columns)], labels, columns, task, config, problem_type)
    check_random_text(state)
    state.task.chosen_metrics = choice
    # Saved with the state from the start, so a killed fit resumes (load(resume=True)) with the same metrics.
    state.fit_info = {**({"zero_shot": True} if zero_shot else {}),
                      **({"metric_choice": choice.to_json()} if choice else {})}
    return state


def check_random_text(state: PredictorState) -> None:
    """Refuse ``model.text.pretrained=False`` (``pretrained=False``) where the task built its own text network,
    which would keep the pretrained weights without a word."""
    if state.config.model.text.pretrained or state.text_folder is None:
        return
    text = spec_to_json(state.network_spec).get("text")
    if not isinstance(text, dict) or text.get("pretrained") is not False:
        raise ConfigError(f"pretrained=False (model.text.pretrained) is not available for problem_type "
                          f"{state.problem_type!r}: its task builds its own text network from the pretrained "
                          "weights. Leave it out, or fine-tune longer instead.")
