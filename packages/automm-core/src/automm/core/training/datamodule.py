"""The LightningDataModule: train and validation loaders for the trainer."""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl
import numpy as np
import pandas as pd
from torch.utils.data import DataLoader

from ..data.batch import Processors
from ..data.loaders import make_loader


class MultiModalDataModule(pl.LightningDataModule):
    """Train and validation loaders for the Lightning trainer."""

    def __init__(
        self,
        processors: Processors,
        train: tuple[pd.DataFrame, np.ndarray],
        val: tuple[pd.DataFrame, np.ndarray],
        batch_size: int,
        eval_batch_size: int,
        num_workers: int = 0,
        train_processors: Any = None,
    ):
        super().__init__()
        self.processors = processors
        self.train_processors = train_processors if train_processors is not None else processors
        self.train_data, self.val_data = train, val
        self.batch_size, self.eval_batch_size, self.num_workers = batch_size, eval_batch_size, num_workers

    def train_dataloader(self) -> DataLoader:
        features, targets = self.train_data
        return make_loader(features, self.train_processors, self.batch_size, targets, train=True,
                           num_workers=self.num_workers)

    def val_dataloader(self) -> DataLoader:
        features, targets = self.val_data
        return make_loader(features, self.processors, self.eval_batch_size, targets, num_workers=self.num_workers)
