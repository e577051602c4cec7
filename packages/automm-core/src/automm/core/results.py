"""What a task's ``build`` returns: a leaf module of the plug-in contract (no torch at import)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch import nn

    from .data.column_types import ColumnDecision
    from .tasks import Task


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
    task: Task | None = None
