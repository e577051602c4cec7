"""DataLoaders over a feature table: rows become Batches batch by batch, never all at once."""

from __future__ import annotations

from collections.abc import Iterator

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
    if 0 < len(features) <= batch_size:  # one batch: no row slice to build
        yield processors.collate(features)
        return
    for start in range(0, len(features), batch_size):
        yield processors.collate(features.iloc[start : start + batch_size])
