"""The LightningModule: the network is built outside and injected; steps stay short."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import lightning.pytorch as pl
import torch
from torch import nn

from ..config import OptimConfig
from .budget import Deadline
from .mixup import mixup_loss
from .optim import build_optimizer

VAL_SCORE = "val_score"


class AuxiliaryObjective(nn.Module):
    """A training loss term beyond the task's: ``forward(parts, batch)`` -> a weighted scalar to add.

    ``parts`` is the network's ``forward_parts(batch)`` (a ``ForwardParts``). Its own parameters (projections,
    say) train with the head's learning rate and are not saved with the predictor.
    """

    name: str = "auxiliary"


class MultiModalLitModule(pl.LightningModule):
    """Trains ``net`` with ``loss``; logs ``val_score``, the task's validation metric over the whole set.

    ``metric`` is an accumulating ``torchmetrics.Metric`` (see ``Task.metric``): updated per validation
    batch, computed once per validation run after gathering every process's outputs. With ``optim.mixup_alpha``
    the task's loss is taken on mixed fused embeddings (``mixup_loss``; needs ``net.forward_parts``).
    ``task_loss_weight`` multiplies the task's loss before the auxiliary terms add to it.
    """

    def __init__(self, net: nn.Module, loss: Callable[[Any, Any], torch.Tensor], metric: Any, metric_name: str,
                 optim: OptimConfig, total_steps: int, deadline: Deadline | None = None,
                 auxiliary: Sequence[AuxiliaryObjective] = (), task_loss_weight: float = 1.0):
        super().__init__()
        self.net, self.loss, self.metric, self.metric_name = net, loss, metric, metric_name
        self.optim, self.total_steps, self.deadline = optim, total_steps, deadline
        self.auxiliary = nn.ModuleList(auxiliary)
        self.task_loss_weight = task_loss_weight

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        if not len(self.auxiliary) and not self.optim.mixup_alpha:
            loss = self.task_loss_weight * self.loss(self.net(batch), batch.target)
        else:
            parts = self.net.forward_parts(batch)
            loss = (mixup_loss(self.net.head, parts.embedding, batch.target, self.loss, self.optim.mixup_alpha)
                    if self.optim.mixup_alpha else self.loss(parts.outputs, batch.target)) * self.task_loss_weight
            for objective in self.auxiliary:
                term = objective(parts, batch)
                self.log(f"train_{objective.name}", term, batch_size=len(batch))
                loss = loss + term
        self.log("train_loss", loss, prog_bar=True, batch_size=len(batch))
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        self.metric.update(self.net(batch), batch.target)

    def on_validation_epoch_end(self) -> None:
        if not self.metric.update_called:
            return
        score = float(self.metric.compute()[self.metric_name])
        self.metric.reset()
        self.log(VAL_SCORE, score, prog_bar=True, sync_dist=True)

    def configure_optimizers(self):
        optimizer, scheduler = build_optimizer(self.net, self.optim, self.total_steps, self.deadline,
                                               extra=self.auxiliary)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
