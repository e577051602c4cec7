"""One progress bar for a whole fit: every training step of every epoch, with the latest loss and score."""

from __future__ import annotations

import math
from typing import Any

import lightning.pytorch as pl
from lightning.pytorch.callbacks import ProgressBar
from tqdm.auto import tqdm


class FitProgressBar(ProgressBar):
    """A single tqdm bar over the fit's total steps, in place of Lightning's per-epoch and validation bars."""

    def __init__(self) -> None:
        super().__init__()
        self._enabled = True
        self._bar: Any = None

    def disable(self) -> None:
        self._enabled = False

    def enable(self) -> None:
        self._enabled = True

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._enabled:
            total = trainer.estimated_stepping_batches  # inf when only a time limit ends the fit
            self._bar = tqdm(total=total if math.isfinite(total) else None, initial=trainer.global_step,
                             desc="fit", unit="step", dynamic_ncols=True)

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        if self._bar is not None:
            self._bar.update(trainer.global_step - self._bar.n)
            self._bar.set_postfix(self._postfix(trainer), refresh=False)

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._bar is not None:
            self._bar.set_postfix(self._postfix(trainer))

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._close()

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        self._close()

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def _postfix(self, trainer: pl.Trainer) -> dict[str, str]:
        metrics = {name: f"{float(value):.4g}" for name, value in trainer.progress_bar_metrics.items()}
        return {"epoch": f"{trainer.current_epoch + 1}/{trainer.max_epochs}", **metrics}


class HideProgressBar(pl.Callback):
    """Turns the fit's progress bar off (``MultiModalPredictor(enable_progress_bar=False)``)."""

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if trainer.progress_bar_callback is not None:
            trainer.progress_bar_callback.disable()
