"""Which metric a predictor evaluates with and which one its fits track, as ``eval_metric=`` and
``validation_metric=`` choose them (AutoGluon-MM's meaning).

The validation metric drives the validation score, early stopping, the top-k checkpoints and their greedy soup,
ensemble selection and a hyperparameter search's objective: ``validation_metric`` when given, else
``eval_metric``, else the task's own default. ``evaluate()`` without ``metrics`` returns ``eval_metric`` first,
then the task's other default metrics. The choice is saved in ``fit_summary["metric_choice"]``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np

from .metric_names import greater_is_better, resolve
from .results import MetricChoice

if TYPE_CHECKING:
    from .tasks import Task

logger = logging.getLogger("automm")


def choose(problem_type: str | None, eval_metric: str | None, validation_metric: str | None) -> MetricChoice:
    """Both names resolved for ``problem_type`` (aliases, case); an inapplicable name is a ConfigError."""
    return MetricChoice(*(resolve(name, problem_type, role=role) if name is not None else None
                          for name, role in ((eval_metric, "eval_metric"), (validation_metric, "validation_metric"))))


def tracked(task: Task) -> tuple[str, bool]:
    """(name, greater is better) fits of ``task`` track: ``validation_metric=``, else ``eval_metric=``, else the
    task's default."""
    choice = task.chosen_metrics
    name = choice and (choice.validation_metric or choice.eval_metric)
    return (name, greater_is_better(name)) if name else task.validation_metric


def eval_metric(task: Task) -> str:
    """The metric ``evaluate()`` reports first: the chosen ``eval_metric``, else the tracked one."""
    choice = task.chosen_metrics
    return choice.eval_metric if choice and choice.eval_metric else tracked(task)[0]


def evaluation_names(task: Task) -> list[str] | None:
    """``evaluate()``'s metrics when none are asked for: ``eval_metric`` then the task's other defaults;
    None (the task's defaults as they are) when no ``eval_metric`` was chosen."""
    choice = task.chosen_metrics
    if not choice or not choice.eval_metric:
        return None
    defaults = task.default_metric_names() or []
    return [choice.eval_metric, *(name for name in defaults if name != choice.eval_metric)]


def for_validation(task: Task, targets: np.ndarray) -> tuple[str, bool]:
    """``tracked(task)``, or the task's fallback with a warning when that metric cannot be computed on these
    validation ``targets`` (``roc_auc`` with one class present, say)."""
    name, greater = tracked(task)
    fallback = task.validation_fallback(name, targets)
    if fallback is None or fallback[0] == name:
        return name, greater
    logger.warning("The validation metric %r cannot be computed on these validation rows (%s); this fit tracks "
                   "%r instead. Pass tuning_data with every class, or another validation_metric.", name,
                   fallback[1], fallback[0])
    return fallback[0], greater_is_better(fallback[0])


def fit_info(task: Task, used: str) -> dict[str, Any]:
    """What ``fit_summary`` records of the metrics: the eval metric, the validation metric ``used`` by the fit
    ("": the tracked one), and the user's choice (reloaded with the predictor)."""
    choice = task.chosen_metrics
    return {"eval_metric": eval_metric(task), "validation_metric": used or tracked(task)[0],
            "metric_choice": choice.to_json() if choice else None}
