"""``PROBLEM_TYPES_REG``: each installed problem type's properties, under AutoGluon-MM's attribute names.

Example:
    >>> from automm.core.problem_types import PROBLEM_TYPES_REG
    >>> PROBLEM_TYPES_REG.get("binary").fallback_evaluation_metric
    'roc_auc'

Built from the installed task plug-ins (``automm.core.tasks.installed_plugins``): each task class declares its
metrics (``Task.metric_names``, the default first) and input modalities (``Task.modalities``). A problem type
of a package that is not installed is not listed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from .discovery import installed_plugins
from .errors import ConfigError
from .metric_names import greater_is_better, supported
from .suggest import did_you_mean
from .tasks import Task

__all__ = ["PROBLEM_TYPES_REG", "ProblemTypeProperty"]


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


def _property(name: str, package: str, task: type[Task]) -> ProblemTypeProperty:
    metrics = list(supported(name) or ())
    # A classifier gives class probabilities, scored by log loss; a matcher ranks (retrieval metrics).
    return ProblemTypeProperty(name, package, support_fit=True, support_zero_shot=task.predicts_before_fit,
                               is_matching=task.ranked_metrics,
                               is_classification="log_loss" in metrics,
                               supported_modality_type=set(task.modalities.get(name, ())),
                               supported_evaluation_metrics=metrics,
                               fallback_evaluation_metric=metrics[0] if metrics else None)


PROBLEM_TYPES_REG = ProblemTypeRegistry()
