"""Metric names: AutoGluon-MM's aliases, direction, and resolution onto what each problem type's task computes.

Names are case-insensitive. ``resolve(name, problem_type)`` gives the name a task computes (``"acc"`` ->
``"accuracy"``, ``"spearmanr"`` -> ``"spearman"`` for a matcher); an unknown or inapplicable name is refused with a
``ConfigError`` naming the accepted ones. Retrieval names take a cutoff: ``ndcg@10``, ``recall@5``, ``mrr@10``,
``map@10``, ``precision@5``. A task may accept names of its own besides (``Task.extra_metric_names``: NER entity
groups, detection's ``map_<class>``). Each task class declares its names (``Task.metric_names``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from .discovery import installed_plugins
from .errors import ConfigError
from .suggest import did_you_mean
from .tasks import Task

# Other spellings -> the canonical name(s) they stand for; the first canonical name a problem type accepts wins.
ALIASES: dict[str, tuple[str, ...]] = {
    "acc": ("accuracy",),
    "auc": ("roc_auc",),
    "nll": ("log_loss",),
    "cross_entropy": ("log_loss",),
    "root_mean_squared_error": ("rmse",),
    "mean_squared_error": ("mse",),
    "mean_absolute_error": ("mae",),
    "median_absolute_error": ("medae",),
    "mean_absolute_percentage_error": ("mape",),
    "pearsonr": ("pearsonr", "pearson"),
    "pearson": ("pearson", "pearsonr"),
    "spearmanr": ("spearmanr", "spearman"),
    "spearman": ("spearman", "spearmanr"),
    "mean_average_precision": ("map",),
    "roc_auc_ovr": ("roc_auc",),
    "roc_auc_ovr_macro": ("roc_auc",),
    "f1_binary": ("f1",),
    "mcc_score": ("mcc",),
}

# Names whose smaller values are better; every other name is greater-is-better.
SMALLER_IS_BETTER = frozenset({"log_loss", "rmse", "mse", "mae", "medae", "mape", "ber"})

RETRIEVAL = ("ndcg", "recall", "mrr", "map", "precision")  # with a cutoff: "ndcg@10"
_CUTOFF = re.compile(r"^([a-z_]+)@([1-9][0-9]*)$")


def greater_is_better(name: str) -> bool:
    """Whether larger values of (canonical) metric ``name`` are better."""
    return name.lower() not in SMALLER_IS_BETTER


def _task(problem_type: str) -> type[Task] | None:
    """The installed task class of ``problem_type``, or None."""
    return next((p.tasks[problem_type] for p in installed_plugins() if problem_type in p.tasks), None)


def computed(problem_type: str) -> tuple[str, ...] | None:
    """The names ``problem_type``'s task computes (its ``Task.metric_names``); None when it lists none."""
    task = _task(problem_type)
    return tuple(task.metric_names[problem_type]) if task and problem_type in task.metric_names else None


def supported(problem_type: str) -> tuple[str, ...] | None:
    """The metric names ``problem_type`` accepts (retrieval names take ``@k``); None for a task that lists none."""
    names = computed(problem_type)
    if names is None:
        return None
    ranked = bool(getattr(_task(problem_type), "ranked_metrics", False))
    return names + tuple(f"{name}@k" for name in RETRIEVAL if ranked)


def resolve(name: str, problem_type: str | None, extra: Iterable[str] = (), role: str = "metric",
            strict: bool = True) -> str:
    """The canonical name of ``name`` for ``problem_type``; ``extra`` are names the task accepts besides.

    ``role`` names the argument in the error (``eval_metric``, ``validation_metric``, ``metric``). An unlisted
    problem type (a third-party task) or None keeps ``name`` as it is, to be checked by the task itself; so does a
    name no problem type knows when not ``strict`` (the task refuses it in its own words).
    """
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{role} must be a metric name such as 'accuracy' or 'rmse', got {name!r}.")
    lowered = name.strip().lower()
    accepted = supported(problem_type) if problem_type is not None else None
    if problem_type is None or accepted is None:
        return name
    extras = {e.lower(): e for e in extra}
    if lowered in extras:
        return extras[lowered]
    cutoff = _CUTOFF.match(lowered)
    if accepted[-1].endswith("@k") and (lowered in RETRIEVAL or cutoff and cutoff.group(1) in RETRIEVAL):
        return lowered  # a bare retrieval name takes the cutoffs of the call (evaluate(..., cutoffs=[...]))
    for candidate in (lowered, *ALIASES.get(lowered, ())):
        if candidate in accepted:
            return candidate
    message = _refusal(name, lowered, problem_type, role, [*accepted, *extras.values()])
    if not strict and message.startswith("Unknown"):
        return name
    raise ConfigError(message)


def implied_problem_type(eval_metric: str | None, label_count: int) -> str | None:
    """For one label column and an eval metric that only one (unranked) task class computes, that class's first
    problem type accepting it (``rmse`` -> regression, as AutoGluon-MM infers it); else None."""
    if eval_metric is None or label_count != 1 or not isinstance(eval_metric, str):
        return None
    lowered = eval_metric.strip().lower()
    names = {lowered, *ALIASES.get(lowered, ())}
    found = [(p, task) for plugin in installed_plugins() for p, task in plugin.tasks.items()
             if not task.ranked_metrics and names & set(task.metric_names.get(p, ()))]
    return found[0][0] if found and len({task for _, task in found}) == 1 else None


def resolve_all(names: Sequence[str], problem_type: str | None, extra: Iterable[str] = (),
                role: str = "metrics", strict: bool = True) -> list[str]:
    """``resolve`` of each name, in order."""
    extra = tuple(extra)
    return [resolve(name, problem_type, extra, role, strict) for name in names]


def _refusal(name: str, lowered: str, problem_type: str, role: str, accepted: list[str]) -> str:
    """Why ``name`` is refused for ``problem_type``: a name of another problem type, or an unknown one."""
    wanted = {lowered, *ALIASES.get(lowered, ())}
    elsewhere = sorted(p for plugin in installed_plugins() for p in plugin.tasks if wanted & set(computed(p) or ()))
    if elsewhere:
        return (f"{role}={name!r} does not apply to problem_type {problem_type!r} (it is a metric of "
                f"{elsewhere}). Metrics {problem_type!r} accepts: {accepted}.")
    hint = did_you_mean(lowered, accepted) or did_you_mean(lowered, ALIASES)
    return f"Unknown {role} {name!r} for problem_type {problem_type!r}.{hint} Accepted: {accepted}."


def rename(scores: Mapping[str, object], asked: Sequence[str], canonical: Sequence[str]) -> dict[str, object]:
    """``scores`` keyed by the names the caller ``asked`` for (``{"acc": ...}``), in that order."""
    return {spelled: scores[name] for spelled, name in zip(asked, canonical) if name in scores}
