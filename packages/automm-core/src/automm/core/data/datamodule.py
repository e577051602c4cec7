"""Batches from a feature table, for training (LightningDataModule) and for streaming prediction."""

from __future__ import annotations

from collections.abc import Iterator

import lightning.pytorch as pl
import numpy as np
import pandas as pd
from torch.utils.data import DataLoader

from .batch import Batch, Processors


class RowCollator:
    """A DataLoader ``collate_fn``: list of row positions -> Batch (runs in worker processes)."""

    def __init__(self, features: pd.DataFrame, processors: Processors, targets: np.ndarray | None, train: bool):
        self.features = features.reset_index(drop=True)
        self.processors = processors
        self.targets = targets
        self.train = train

    def __call__(self, positions: list[int]) -> Batch:
        targets = None if self.targets is None else self.targets[positions]
        return self.processors.collate(self.features.iloc[positions], targets, train=self.train)


def make_loader(
    features: pd.DataFrame,
    processors: Processors,
    batch_size: int,
    targets: np.ndarray | None = None,
    train: bool = False,
    num_workers: int = 0,
) -> DataLoader:
    """A DataLoader over row positions: rows are processed batch by batch, never all at once."""
    return DataLoader(
        range(len(features)),  # type: ignore[arg-type]
        batch_size=batch_size,
        shuffle=train,
        drop_last=train and len(features) > batch_size,
        collate_fn=RowCollator(features, processors, targets, train),
        num_workers=num_workers,
        persistent_workers=num_workers > 0,
    )


def iterate_batches(features: pd.DataFrame, processors: Processors, batch_size: int) -> Iterator[Batch]:
    """Prediction batches in order, without DataLoader overhead (used for small inputs)."""
    for start in range(0, len(features), batch_size):
        yield processors.collate(features.iloc[start : start + batch_size])


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
    ):
        super().__init__()
        self.processors = processors
        self.train_data, self.val_data = train, val
        self.batch_size, self.eval_batch_size, self.num_workers = batch_size, eval_batch_size, num_workers

    def train_dataloader(self) -> DataLoader:
        features, targets = self.train_data
        return make_loader(features, self.processors, self.batch_size, targets, train=True,
                           num_workers=self.num_workers)

    def val_dataloader(self) -> DataLoader:
        features, targets = self.val_data
        return make_loader(features, self.processors, self.eval_batch_size, targets, num_workers=self.num_workers)
