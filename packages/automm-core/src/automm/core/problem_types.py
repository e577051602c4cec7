"""``PROBLEM_TYPES_REG``: each installed problem type's properties, under AutoGluon-MM's attribute names.

Example:
    >>> from automm.core.problem_types import BINARY, PROBLEM_TYPES_REG
    >>> PROBLEM_TYPES_REG.get(BINARY).fallback_evaluation_metric
    'roc_auc'

Built from the installed task plug-ins (``automm.core.tasks.installed_plugins``) and the metric table
(``automm.core.metric_names``): a problem type of a package that is not installed is not listed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from .errors import ConfigError
from .metric_names import SUPPORTED, greater_is_better, supported
from .suggest import did_you_mean

BINARY, MULTICLASS, REGRESSION = "binary", "multiclass", "regression"
MULTILABEL, MULTI_OUTPUT_REGRESSION = "multilabel", "multi_output_regression"
NER, FEW_SHOT_CLASSIFICATION = "ner", "few_shot_classification"
TEXT_SIMILARITY, IMAGE_SIMILARITY, IMAGE_TEXT_SIMILARITY = "text_similarity", "image_similarity", \
    "image_text_similarity"
OBJECT_DETECTION, SEMANTIC_SEGMENTATION = "object_detection", "semantic_segmentation"
IMAGE, TEXT, CATEGORICAL, NUMERICAL = "image", "text", "categorical", "numerical"
__all__ = ["BINARY", "CATEGORICAL", "FEW_SHOT_CLASSIFICATION", "IMAGE", "IMAGE_SIMILARITY", "IMAGE_TEXT_SIMILARITY",
           "MULTICLASS", "MULTILABEL", "MULTI_OUTPUT_REGRESSION", "NER", "NUMERICAL", "OBJECT_DETECTION",
           "PROBLEM_TYPES_REG", "REGRESSION", "SEMANTIC_SEGMENTATION", "TEXT", "TEXT_SIMILARITY", "ProblemTypeProperty"]

_TABLE = {IMAGE, TEXT, CATEGORICAL, NUMERICAL}
# The input modalities each known problem type reads (a third-party type: empty).
MODALITIES: dict[str, set[str]] = {
    BINARY: _TABLE, MULTICLASS: _TABLE, REGRESSION: _TABLE, MULTILABEL: _TABLE, MULTI_OUTPUT_REGRESSION: _TABLE,
    FEW_SHOT_CLASSIFICATION: {IMAGE, TEXT}, NER: {"text_ner", *_TABLE}, TEXT_SIMILARITY: {TEXT},
    IMAGE_SIMILARITY: {IMAGE}, IMAGE_TEXT_SIMILARITY: {IMAGE, TEXT}, OBJECT_DETECTION: {IMAGE},
    SEMANTIC_SEGMENTATION: {IMAGE},
}
_CLASSIFICATION = {BINARY, MULTICLASS, MULTILABEL, FEW_SHOT_CLASSIFICATION}
_MATCHING = {TEXT_SIMILARITY, IMAGE_SIMILARITY, IMAGE_TEXT_SIMILARITY}


@dataclass(frozen=True)
class ProblemTypeProperty:
    """One problem type: what it reads, whether it fits or predicts zero-shot, and its metrics."""

    name: str
    package: str
    support_fit: bool = True
    support_zero_shot: bool = False
    is_matching: bool = False
    is_classification: bool = False
    supported_modality_type: set[str] = field(default_factory=set)
    supported_evaluation_metrics: list[str] = field(default_factory=list)
    fallback_evaluation_metric: str | None = None

    @property
    def supported_validation_metrics(self) -> list[str]:
        """Metrics a fit can track (early stopping, checkpoints): those of ``evaluate()`` with a single value."""
        return [m for m in self.supported_evaluation_metrics if not m.endswith("@k")]

    @property
    def fallback_validation_metric(self) -> str | None:
        return self.fallback_evaluation_metric

    def greater_is_better(self, metric: str) -> bool:
        return greater_is_better(metric)


class ProblemTypeRegistry:
    """``get(name)``, ``list_keys()``, ``in`` and iteration over the installed problem types."""

    @cached_property
    def _properties(self) -> dict[str, ProblemTypeProperty]:
        from .tasks import installed_plugins

        return {name: _property(name, plugin.package, task)
                for plugin in installed_plugins() for name, task in plugin.tasks.items()}

    def get(self, name: str) -> ProblemTypeProperty:
        if name not in self._properties:
            known = self.list_keys()
            raise ConfigError(f"Unknown or uninstalled problem type {name!r}.{did_you_mean(name, known)} "
                              f"Installed: {known}.")
        return self._properties[name]

    def list_keys(self) -> list[str]:
        return list(self._properties)

    def __contains__(self, name: object) -> bool:
        return name in self._properties

    def __iter__(self) -> Iterator[str]:
        return iter(self._properties)

    def __repr__(self) -> str:
        return f"ProblemTypeRegistry(keys={self.list_keys()})"


def _property(name: str, package: str, task: type) -> ProblemTypeProperty:
    metrics = list(supported(name) or ())
    # The first listed metric is the task's default (a matcher's depends on its labels: roc_auc for match/no match).
    fallback = SUPPORTED[name][0] if name in SUPPORTED else None
    return ProblemTypeProperty(name, package, support_fit=True,
                               support_zero_shot=bool(getattr(task, "predicts_before_fit", False)),
                               is_matching=name in _MATCHING, is_classification=name in _CLASSIFICATION,
                               supported_modality_type=set(MODALITIES.get(name, ())),
                               supported_evaluation_metrics=metrics, fallback_evaluation_metric=fallback)


PROBLEM_TYPES_REG = ProblemTypeRegistry()
