"""The one table of metric names: automm's names, AutoGluon-MM's aliases, direction, and the problem types of each.

Names are case-insensitive. ``resolve(name, problem_type)`` gives the name a task computes (``"acc"`` ->
``"accuracy"``, ``"spearmanr"`` -> ``"spearman"`` for a matcher); an unknown or inapplicable name is refused with a
``ConfigError`` naming the accepted ones. Retrieval names take a cutoff: ``ndcg@10``, ``recall@5``, ``mrr@10``,
``map@10``, ``precision@5``. A task may accept names of its own besides (``Task.extra_metric_names``: NER entity
groups, detection's ``map_<class>``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from .errors import ConfigError
from .suggest import did_you_mean

# Other spellings -> the canonical name(s) they stand for; the first canonical name a problem type accepts wins.
ALIASES: dict[str, tuple[str, ...]] = {
    "acc": ("accuracy",),
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

_CLASS_AVERAGED = tuple(f"{m}_{a}" for m in ("f1", "precision", "recall") for a in ("macro", "micro", "weighted"))
_CLASSIFICATION = ("accuracy", "balanced_accuracy", "mcc", "quadratic_kappa", "log_loss", "f1", "precision",
                   "recall", *_CLASS_AVERAGED, "roc_auc")
_REGRESSION = ("rmse", "mse", "mae", "r2", "pearsonr", "spearmanr", "medae", "mape")
_MATCHING = ("roc_auc", "accuracy", "f1", "spearman", "pearson")
RETRIEVAL = ("ndcg", "recall", "mrr", "map", "precision")  # with a cutoff: "ndcg@10"
DETECTION = ("map", "map_50", "map_75", "map_small", "map_medium", "map_large", "mar_1", "mar_10", "mar_100",
             "mar_small", "mar_medium", "mar_large")

# Problem type -> the metric names its task computes (before a task's own extra names), default first.
SUPPORTED: dict[str, tuple[str, ...]] = {
    "binary": ("roc_auc", *_CLASSIFICATION[:-1], "average_precision"),
    "multiclass": ("accuracy", *_CLASSIFICATION[1:]),
    "few_shot_classification": ("accuracy", *_CLASSIFICATION[1:], "average_precision"),
    "regression": _REGRESSION,
    "multi_output_regression": _REGRESSION,
    "multilabel": ("log_loss", "roc_auc", "accuracy", "subset_accuracy", "f1_macro", "f1_micro", "f1_weighted",
                   "average_precision"),
    "ner": ("overall_f1", "overall_precision", "overall_recall", "overall_accuracy"),
    "text_similarity": _MATCHING,
    "image_similarity": _MATCHING,
    "image_text_similarity": _MATCHING,
    "object_detection": DETECTION,
    "semantic_segmentation": ("iou", "ber", "sm", "em", "fm", "mae", "accuracy"),
}
RANKED = frozenset({"text_similarity", "image_similarity", "image_text_similarity"})  # accept ``<retrieval>@k``
_CUTOFF = re.compile(r"^([a-z_]+)@([1-9][0-9]*)$")


def greater_is_better(name: str) -> bool:
    """Whether larger values of (canonical) metric ``name`` are better."""
    return name.lower() not in SMALLER_IS_BETTER


def supported(problem_type: str) -> tuple[str, ...] | None:
    """The metric names ``problem_type`` computes (retrieval names take ``@k``); None for an unlisted type."""
    if problem_type not in SUPPORTED:
        return None
    return SUPPORTED[problem_type] + tuple(f"{name}@k" for name in RETRIEVAL if problem_type in RANKED)


def resolve(name: str, problem_type: str | None, extra: Iterable[str] = (), role: str = "metric") -> str:
    """The canonical name of ``name`` for ``problem_type``; ``extra`` are names the task accepts besides.

    ``role`` names the argument in the error (``eval_metric``, ``validation_metric``, ``metric``). An unlisted
    problem type (a third-party task) or None keeps ``name`` as it is, to be checked by the task itself.
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
    if problem_type in RANKED and (lowered in RETRIEVAL or cutoff and cutoff.group(1) in RETRIEVAL):
        return lowered  # a bare retrieval name takes the cutoffs of the call (evaluate(..., cutoffs=[...]))
    for candidate in (lowered, *ALIASES.get(lowered, ())):
        if candidate in SUPPORTED[problem_type]:
            return candidate
    raise ConfigError(_refusal(name, lowered, problem_type, role, [*accepted, *extras.values()]))


def implied_problem_type(eval_metric: str | None, label_count: int) -> str | None:
    """``"regression"`` for one label column and an eval metric only regression has (``rmse``, ``r2``,
    ``pearsonr``, ``spearmanr``...), as AutoGluon-MM infers it; else None (inferred from the labels)."""
    if eval_metric is None or label_count != 1 or not isinstance(eval_metric, str):
        return None
    lowered = eval_metric.strip().lower()
    names = {lowered, *ALIASES.get(lowered, ())}
    types = {p for p, accepted in SUPPORTED.items() if names & set(accepted) and p not in RANKED}  # matchers: named
    return "regression" if types and types <= {"regression", "multi_output_regression"} else None


def resolve_all(names: Sequence[str], problem_type: str | None, extra: Iterable[str] = (),
                role: str = "metrics") -> list[str]:
    """``resolve`` of each name, in order."""
    extra = tuple(extra)
    return [resolve(name, problem_type, extra, role) for name in names]


def _refusal(name: str, lowered: str, problem_type: str, role: str, accepted: list[str]) -> str:
    """Why ``name`` is refused for ``problem_type``: a name of another problem type, or an unknown one."""
    elsewhere = sorted(p for p, names in SUPPORTED.items() if lowered in names
                       or any(c in names for c in ALIASES.get(lowered, ())))
    if elsewhere:
        return (f"{role}={name!r} does not apply to problem_type {problem_type!r} (it is a metric of "
                f"{elsewhere}). Metrics {problem_type!r} accepts: {accepted}.")
    hint = did_you_mean(lowered, accepted) or did_you_mean(lowered, ALIASES)
    return (f"Unknown {role} {name!r} for problem_type {problem_type!r}.{hint} "
            f"Accepted: {accepted}.")


def rename(scores: Mapping[str, object], asked: Sequence[str], canonical: Sequence[str]) -> dict[str, object]:
    """``scores`` keyed by the names the caller ``asked`` for (``{"acc": ...}``), in that order."""
    return {spelled: scores[name] for spelled, name in zip(asked, canonical) if name in scores}
