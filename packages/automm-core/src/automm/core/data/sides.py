"""Rows with several sides encoded separately (query and response of a matching pair, for example)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from .batch import Batch, Processors


@dataclass
class SidedBatch:
    """One Batch per side of the same rows, in the order of the sides, plus the targets."""

    sides: dict[str, Batch]
    target: torch.Tensor | None = None

    def to(self, device: torch.device | str) -> SidedBatch:
        target = self.target.to(device, non_blocking=True) if self.target is not None else None
        return SidedBatch({name: batch.to(device) for name, batch in self.sides.items()}, target)

    def __len__(self) -> int:
        return len(next(iter(self.sides.values())))


@dataclass(frozen=True)
class SidedProcessors:
    """The fitted processors of each side; every side reads its own columns of the same row."""

    sides: dict[str, Processors]

    def collate(self, rows: pd.DataFrame, targets: np.ndarray | None = None, train: bool = False) -> SidedBatch:
        """Rows with every side's columns -> a SidedBatch."""
        target = torch.from_numpy(np.ascontiguousarray(targets)) if targets is not None else None
        return SidedBatch({name: side.collate(rows, train=train) for name, side in self.sides.items()}, target)

    @property
    def columns(self) -> list[str]:
        """Every column any side reads, each once."""
        return list(dict.fromkeys(c for side in self.sides.values() for c in side.columns))
