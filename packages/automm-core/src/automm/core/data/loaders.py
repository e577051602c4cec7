"""DataLoaders over a feature table: rows become Batches batch by batch, never all at once."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader, Sampler

from .batch import Batch, EncodedTabular, Processors


class RowCollator:
    """A DataLoader ``collate_fn``: list of row positions -> Batch (runs in worker processes).

    Numeric and categorical columns are encoded once for the whole table (they have no random augmentation), so
    the epochs of a fit only index them; text and images are processed batch by batch. A training ``Batch`` also
    carries its rows' ``positions`` in ``features`` (``Batch.rows``), for objectives that look up per-row data.
    """

    def __init__(self, features: pd.DataFrame, processors: Processors, targets: np.ndarray | None, train: bool):
        self.features = features.reset_index(drop=True)
        self.processors = processors
        self.targets = targets
        self.train = train
        self.tabular: EncodedTabular | None = (processors.encode_tabular(self.features)
                                               if isinstance(processors, Processors) else None)

    def __call__(self, positions: list[int]) -> Batch:
        targets = None if self.targets is None else self.targets[positions]
        rows = self.features.iloc[positions]
        if self.tabular is None:
            batch = self.processors.collate(rows, targets, train=self.train)
        else:
            batch = self.processors.collate(rows, targets, train=self.train, tabular=self.tabular.take(positions))
        if self.train and isinstance(batch, Batch):
            batch.rows = torch.as_tensor(positions, dtype=torch.long)
        return batch


def make_loader(
    features: pd.DataFrame,
    processors: Processors,
    batch_size: int,
    targets: np.ndarray | None = None,
    train: bool = False,
    num_workers: int = 0,
    sampler: Sampler[int] | None = None,
    batch_sampler: Sampler[list[int]] | None = None,
) -> DataLoader:
    """A DataLoader over row positions: rows are processed batch by batch, never all at once.

    ``sampler`` replaces the row order (shuffled when ``train``); ``batch_sampler`` chooses each batch's rows.
    """
    batching = {"batch_sampler": batch_sampler} if batch_sampler is not None else {
        "batch_size": batch_size, "sampler": sampler, "shuffle": train and sampler is None,
        "drop_last": train and len(features) > batch_size}
    return DataLoader(
        range(len(features)),  # type: ignore[arg-type]
        collate_fn=RowCollator(features, processors, targets, train),
        num_workers=num_workers,
        persistent_workers=num_workers > 0,
        **batching,
    )


def iterate_batches(features: pd.DataFrame, processors: Processors, batch_size: int,
                    targets: np.ndarray | None = None) -> Iterator[Batch]:
    """Prediction batches in order, without DataLoader overhead (used for small inputs); ``targets``, when given,
    go into each batch's ``target``."""
    if 0 < len(features) <= batch_size:  # one batch: no row slice to build
        yield processors.collate(features) if targets is None else processors.collate(features, targets)
        return
    for start in range(0, len(features), batch_size):
        rows = features.iloc[start : start + batch_size]
        yield (processors.collate(rows) if targets is None
               else processors.collate(rows, targets[start : start + len(rows)]))
