"""Everything a fitted predictor consists of, in one place, and how a new one is built by its task."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from torch import nn

from .config import Config
from .data.batch import Processors
from .data.column_types import ColumnDecision
from .data.sides import SidedProcessors
from .tasks import Task


@dataclass
class PredictorState:
    """The fitted parts of a predictor; saved as JSON + safetensors + tokenizer files."""

    label_columns: list[str]
    problem_type: str
    config: Config
    columns: dict[str, ColumnDecision]
    task: Task
    processors: Processors | SidedProcessors
    network_spec: Any  # a registered network kind: NetworkSpec or a task package's spec
    net: nn.Module
    text_folder: Path | None = None  # tokenizer + backbone config (+ weights at fit time)
    fit_info: dict[str, Any] = field(default_factory=dict)

    @property
    def feature_columns(self) -> list[str]:
        return [c for c, d in self.columns.items() if d.type.is_used]


def build_state(features: pd.DataFrame, labels: pd.DataFrame, columns: dict[str, ColumnDecision], task: Task,
                config: Config, problem_type: str) -> PredictorState:
    """A new, untrained predictor state with pretrained backbones, built by the task."""
    built = task.build(features, columns, config)
    built_for = built.task if built.task is not None else task
    return PredictorState(list(labels.columns), problem_type, config, built.columns, built_for, built.processors,
                          built.spec, built.net, built.text_folder)
