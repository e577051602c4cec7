"""Typed batches and the collator that turns table rows into them."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
import torch

from .images import ImageProcessor
from .tabular import CategoricalProcessor, NumericalProcessor
from .text import TextProcessor
from .text_augment import WordAugment


@dataclass
class Batch:
    """One batch of model inputs; a modality the predictor does not use stays None."""

    numerical: torch.Tensor | None = None  # [B, n_numeric] float
    categorical: torch.Tensor | None = None  # [B, n_categorical] long, 0 = unknown
    text_ids: torch.Tensor | None = None  # [B, T] long
    text_mask: torch.Tensor | None = None  # [B, T] long
    text_present: torch.Tensor | None = None  # [B] bool: any text in the row
    image_pixels: torch.Tensor | None = None  # [B, K, 3, H, W]
    image_mask: torch.Tensor | None = None  # [B, K] bool
    target: torch.Tensor | None = None
    rows: torch.Tensor | None = None  # [B] long: training rows' positions in the training table (per-row lookups)

    def to(self, device: torch.device | str) -> Batch:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return Batch(**{k: v.to(device, non_blocking=True) if v is not None else None for k, v in values.items()})

    def __len__(self) -> int:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                return int(value.shape[0])
        return 0


@dataclass(frozen=True)
class EncodedTabular:
    """A table's numeric and categorical columns encoded once (training reads them every epoch)."""

    numerical: np.ndarray | None
    categorical: np.ndarray | None

    def take(self, positions: list[int]) -> EncodedTabular:
        """The rows at ``positions``."""
        return EncodedTabular(*(None if a is None else a[positions] for a in (self.numerical, self.categorical)))


@dataclass(frozen=True)
class Processors:
    """Every fitted per-model processor of a predictor.

    ``augment_images`` is saved with them; ``image_policy`` and ``augment_text`` are set for training only (see
    ``training.tricks.training_processors``), never saved.
    """

    numerical: NumericalProcessor | None = None
    categorical: CategoricalProcessor | None = None
    text: TextProcessor | None = None
    image: ImageProcessor | None = None
    augment_images: bool = True
    image_policy: str = "crop_flip"
    augment_text: WordAugment | None = None

    def encode_tabular(self, rows: pd.DataFrame) -> EncodedTabular | None:
        """The numeric and categorical inputs of ``rows``, or None without such columns."""
        numerical = self.numerical.transform(rows) if self.numerical and self.numerical.columns else None
        categorical = self.categorical.transform(rows) if self.categorical and self.categorical.columns else None
        return None if numerical is None and categorical is None else EncodedTabular(numerical, categorical)

    def collate(self, rows: pd.DataFrame, targets: np.ndarray | None = None, train: bool = False,
                tabular: EncodedTabular | None = None) -> Batch:
        """Rows of the feature table (any index) -> a Batch; ``tabular``: those rows' inputs encoded beforehand."""
        batch = Batch()
        tabular = self.encode_tabular(rows) if tabular is None else tabular
        if tabular is not None:
            batch.numerical = None if tabular.numerical is None else torch.from_numpy(tabular.numerical)
            batch.categorical = None if tabular.categorical is None else torch.from_numpy(tabular.categorical)
        data: dict[str, Any] = {c: rows[c].tolist() for c in self._list_columns()}
        if self.text is not None:
            text = self.text.transform(data, augment=self.augment_text if train else None)
            batch.text_ids = torch.from_numpy(text["input_ids"])
            batch.text_mask = torch.from_numpy(text["attention_mask"])
            batch.text_present = torch.from_numpy(text["present"])
        if self.image is not None:
            image = self.image.transform(data, train=train, augment=self.augment_images, policy=self.image_policy)
            batch.image_pixels, batch.image_mask = image["pixels"], image["mask"]
        if targets is not None:
            batch.target = torch.from_numpy(np.ascontiguousarray(targets))
        return batch

    @property
    def columns(self) -> list[str]:
        """Every column these processors read."""
        return [*(self.numerical.columns if self.numerical else []),
                *(self.categorical.columns if self.categorical else []), *self._list_columns()]

    def _list_columns(self) -> list[str]:
        """Columns the text and image processors read cell by cell."""
        return (self.text.columns if self.text else []) + (self.image.columns if self.image else [])
