"""The LightningModule: the network is built outside and injected; steps stay short."""

from __future__ import annotations

from collections.abc import Callable

import lightning.pytorch as pl
import numpy as np
import torch
from torch import nn

from ..config import OptimConfig
from ..data.batch import Batch
from .optim import build_optimizer

VAL_SCORE = "val_score"


class MultiModalLitModule(pl.LightningModule):
    """Trains ``net`` with ``loss``; logs ``val_score`` computed by the task's validation metric."""

    def __init__(self, net: nn.Module, loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                 validation_score: Callable[[np.ndarray, np.ndarray], float], optim: OptimConfig, total_steps: int,
                 time_limit: float | None = None):
        super().__init__()
        self.net, self.loss, self.validation_score = net, loss, validation_score
        self.optim, self.total_steps, self.time_limit = optim, total_steps, time_limit
        self._val_outputs: list[tuple[torch.Tensor, torch.Tensor]] = []

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        loss = self.loss(self.net(batch), batch.target)
        self.log("train_loss", loss, prog_bar=True, batch_size=len(batch))
        return loss

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        self._val_outputs.append((self.net(batch).float().cpu(), batch.target.cpu()))

    def on_validation_epoch_end(self) -> None:
        if not self._val_outputs:
            return
        logits = torch.cat([o[0] for o in self._val_outputs]).numpy()
        targets = torch.cat([o[1] for o in self._val_outputs]).numpy()
        self._val_outputs.clear()
        self.log(VAL_SCORE, float(self.validation_score(logits, targets)), prog_bar=True, sync_dist=True)

    def configure_optimizers(self):
        optimizer, scheduler = build_optimizer(self.net, self.optim, self.total_steps, self.time_limit)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
