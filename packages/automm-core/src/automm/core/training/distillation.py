"""Knowledge-distillation training objectives: the teacher's outputs and embeddings, looked up per training row."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..data.batch import Batch
from ..models.fusion import ForwardParts
from .module import AuxiliaryObjective

SoftLabelLoss = Callable[[torch.Tensor, torch.Tensor, float], torch.Tensor]  # (outputs, soft targets, temperature)


def _rows(batch: Batch, objective: str) -> torch.Tensor:
    if batch.rows is None:
        raise RuntimeError(f"The {objective} objective needs Batch.rows (the training loader sets it).")
    return batch.rows


class DistillationObjective(AuxiliaryObjective):
    """An objective that learns from a teacher; with one, the task's loss weighs ``distiller.hard_label_weight``."""


class SoftLabelObjective(DistillationObjective):
    """``weight * loss(student outputs, teacher outputs, temperature)``; the loss is the task's ``soft_label_loss``.

    ``soft_targets`` holds the teacher's outputs for every training row, in the student task's output space.
    """

    name = "soft_label"

    def __init__(self, loss: SoftLabelLoss, soft_targets: np.ndarray, temperature: float, weight: float):
        super().__init__()
        self.loss, self.temperature, self.weight = loss, temperature, weight
        self.register_buffer("soft_targets", torch.from_numpy(np.asarray(soft_targets, np.float32)), persistent=False)

    def forward(self, parts: ForwardParts, batch: Batch) -> torch.Tensor:
        targets = self.soft_targets[_rows(batch, self.name)]
        return self.weight * self.loss(parts.outputs, targets.reshape(parts.outputs.shape), self.temperature)


class FeatureObjective(DistillationObjective):
    """``weight * MSE(Linear(student embedding), teacher embedding)``, the teacher's embeddings scaled to unit mean
    square so the weight means the same whatever the teacher's scale (the projection is not saved)."""

    name = "output_feature"

    def __init__(self, student_width: int, teacher_embeddings: np.ndarray, weight: float):
        super().__init__()
        embeddings = torch.from_numpy(np.asarray(teacher_embeddings, np.float32))
        scale = embeddings.pow(2).mean().sqrt().clamp(min=1e-8)
        self.register_buffer("teacher_embeddings", embeddings / scale, persistent=False)
        self.projection = nn.Linear(student_width, embeddings.shape[1])
        self.weight = weight

    def forward(self, parts: ForwardParts, batch: Batch) -> torch.Tensor:
        target = self.teacher_embeddings[_rows(batch, self.name)]
        return self.weight * F.mse_loss(self.projection(parts.embedding), target.to(parts.embedding.dtype))
