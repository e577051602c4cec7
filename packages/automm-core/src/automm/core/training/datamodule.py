"""The LightningDataModule: train and validation loaders for the trainer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import lightning.pytorch as pl
import numpy as np
import pandas as pd
from lightning.pytorch.overrides.distributed import UnrepeatedDistributedSampler
from torch.utils.data import DataLoader, RandomSampler, Sampler

from ..data.batch import Processors
from ..data.loaders import make_loader

# (shuffled row order, training targets, batch size) -> a batch sampler, or None for plain batches.
BatchSamplerFactory = Callable[[Sampler[int], np.ndarray, int], Sampler[list[int]] | None]


class MultiModalDataModule(pl.LightningDataModule):
    """Train and validation loaders for the Lightning trainer.

    ``batch_sampler`` (see ``Task.train_batch_sampler``) may choose the rows of each training batch. Under
    several processes Lightning gives each process its shard of the training rows, and each process scores
    its own validation rows, none twice, so the gathered metric sees every row exactly once.
    """

    def __init__(
        self,
        processors: Processors,
        train: tuple[pd.DataFrame, np.ndarray],
        val: tuple[pd.DataFrame, np.ndarray],
        batch_size: int,
        eval_batch_size: int,
        num_workers: int = 0,
        train_processors: Any = None,
        batch_sampler: BatchSamplerFactory | None = None,
    ):
        super().__init__()
        self.processors = processors
        self.train_processors = train_processors if train_processors is not None else processors
        self.train_data, self.val_data = train, val
        self.batch_size, self.eval_batch_size, self.num_workers = batch_size, eval_batch_size, num_workers
        self.batch_sampler = batch_sampler

    def train_dataloader(self) -> DataLoader:
        features, targets = self.train_data
        # Built here: Lightning records a batch sampler's arguments while this hook runs, to swap in a
        # distributed ``sampler`` under several processes.
        order = RandomSampler(range(len(features)))
        batch_sampler = self.batch_sampler(order, targets, self.batch_size) if self.batch_sampler else None
        return make_loader(features, self.train_processors, self.batch_size, targets, train=True,
                           num_workers=self.num_workers, batch_sampler=batch_sampler)

    def val_dataloader(self) -> DataLoader:
        features, targets = self.val_data
        return make_loader(features, self.processors, self.eval_batch_size, targets, num_workers=self.num_workers,
                           sampler=self._validation_shard(len(features)))

    def _validation_shard(self, rows: int) -> Sampler[int] | None:
        """This process's validation rows under several processes, each row in one shard only.

        Lightning's default DistributedSampler pads the shards with repeated rows to equal length, which the
        gathered metric would count twice. Shards may differ by one row: DDP syncs buffers on an evaluation
        run's first forward only, so every process needs a row (with fewer rows than processes, Lightning pads).
        """
        trainer = self.trainer
        if trainer is None or trainer.world_size < 2 or rows < trainer.world_size:
            return None
        return UnrepeatedDistributedSampler(range(rows), num_replicas=trainer.world_size,  # type: ignore[arg-type]
                                            rank=trainer.global_rank, shuffle=False)
