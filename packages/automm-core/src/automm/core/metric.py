"""The default accumulating metric: collect outputs and targets batch by batch, score once.

A ``torchmetrics.Metric``, so under several processes the outputs of every process are gathered before
the task scores them: a dataset-level score (ROC-AUC, MRR, mAP) is computed on all rows, not averaged.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torchmetrics import Metric
from torchmetrics.utilities import dim_zero_cat


class TaskMetric(Metric):
    """``update(outputs, targets)`` with dense tensors; ``compute()`` calls ``score(outputs, targets)``."""

    full_state_update = False

    def __init__(self, score: Callable[[np.ndarray, np.ndarray], dict[str, float]]):
        super().__init__()
        self.score = score
        self.add_state("outputs", default=[], dist_reduce_fx="cat")
        self.add_state("targets", default=[], dist_reduce_fx="cat")

    def update(self, outputs: torch.Tensor, targets: torch.Tensor) -> None:
        self.outputs.append(outputs.detach().float())
        self.targets.append(targets.detach())

    def compute(self) -> dict[str, float]:
        outputs = dim_zero_cat(self.outputs).cpu().numpy()
        targets = dim_zero_cat(self.targets).cpu().numpy()
        return self.score(outputs, targets)
