"""What a task hands back to core: the parts it builds for a new predictor, and the outcome of a fit.

A leaf module (no torch at import): the task contract (``tasks.py``), the training engine and task packages all
import these types from here, so none of them needs another to describe its results.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .data.column_types import ColumnDecision

if TYPE_CHECKING:
    from torch import nn


@dataclass(frozen=True)
class Built:
    """What a task builds for a new predictor: processors, network (with its JSON spec), text backbone folder.

    ``processors`` is a :class:`~automm.core.data.batch.Processors`, a
    :class:`~automm.core.data.sides.SidedProcessors` or a registered processor kind; ``spec`` is any registered
    network kind (``to_json``/``from_json``/``build``). ``columns`` may refine the detected types. ``task`` is the
    task the network was built for, when ``build`` settled settings of its own (the classes of a pretrained
    detector, a threshold, the prompt columns): a new object, the task ``build`` was called on stays unchanged.
    None: that task, as it is.
    """

    processors: Any
    spec: Any
    net: nn.Module
    text_folder: Path | None
    columns: dict[str, ColumnDecision]
    task: Any = None  # a Task (typed Any: tasks.py imports this module)


@dataclass(frozen=True)
class FitResult:
    """How one fit went: ``fit_summary`` records every field."""

    best_val_score: float
    soup_size: int
    epochs: int
    steps: int
    seconds: float
    stopped_by: str
    resumed_from_step: int = 0
    kept_pretrained: bool = False  # the pretrained (zero-shot) weights scored better on validation than training
    validation_metric: str = ""  # the metric the fit tracked ("": the task's default, as a direct fit reports it)


@dataclass(frozen=True)
class MetricChoice:
    """The user's ``eval_metric`` and ``validation_metric`` (canonical names), None where not given; resolved by
    ``automm.core.metric_choice.choose``."""

    eval_metric: str | None = None
    validation_metric: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> MetricChoice | None:
        """A saved choice; None (the task's defaults) for a predictor saved without one."""
        if not data:
            return None
        return cls(data.get("eval_metric"), data.get("validation_metric"))

    def to_json(self) -> dict[str, str | None]:
        return asdict(self)
