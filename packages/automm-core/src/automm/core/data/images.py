"""Image columns -> pixel slots for the torch network: prediction uses ``automm.core.base.images`` (the rules the
ONNX runtime runs too); training adds torchvision's random crop, flip and TrivialAugment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from ..base.images import (
    DRAFT_SIZE,
    IMAGENET_MEAN,
    IMAGENET_STD,
    check_image_rows,
    pack_slots,
    prediction_pixels,
    row_images,
    to_rgb,
)
from ..base.rules import check_rule_version, versioned

__all__ = ["DRAFT_SIZE", "IMAGENET_MEAN", "IMAGENET_STD", "ImageProcessor", "to_rgb"]


@dataclass(frozen=True)
class ImageProcessor:
    """Resize shorter side, centre crop, normalise (rule family "image"); random crop and flip when training."""

    columns: list[str]
    kinds: list[str]
    size: int
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    max_images_per_row: int = 2
    draft_size: int = DRAFT_SIZE

    def transform(self, data: Mapping[str, Sequence[Any]], train: bool = False, augment: bool = True,
                  policy: str = "crop_flip") -> dict[str, Any]:
        """Pixels ``[rows, max_images, 3, size, size]`` and a mask of which slots hold an image.

        Training with ``augment`` applies ``policy``: "crop_flip" or "trivial_augment" (crop, flip, then
        torchvision's TrivialAugmentWide).
        """
        rows = len(data[self.columns[0]])
        images = [row_images([data[column][row] for column in self.columns], self.kinds, self.max_images_per_row,
                             self.draft_size) for row in range(rows)]
        pixels, mask = pack_slots(images, self.max_images_per_row, self.size, self._pixels(
            policy if train and augment else None))
        return {"pixels": torch.from_numpy(pixels), "mask": torch.from_numpy(mask)}

    def check_rows(self, rows: pd.DataFrame, role: str, images_only: bool = True) -> None:
        """Warn about ``rows`` whose every image is unreadable (naming them); refuse rows of which none has a
        readable image when the images are the only input (see ``automm.core.base.images.check_image_rows``)."""
        check_image_rows([rows[column].tolist() for column in self.columns], self.columns, self.kinds,
                         list(rows.index), role, images_only=images_only)

    def _pixels(self, policy: str | None):
        """The transform of one image: prediction's (Pillow + numpy) when ``policy`` is None, else that training
        augmentation (torchvision)."""
        if policy is None:
            return prediction_pixels(self.size, self.mean, self.std)
        if policy not in ("crop_flip", "trivial_augment"):
            raise ValueError(f"unknown image augmentation policy {policy!r}")
        from torchvision.transforms import v2  # imported on first use: it costs seconds at import time

        pipeline = v2.Compose([
            v2.PILToTensor(), v2.RandomResizedCrop(self.size, scale=(0.6, 1.0), antialias=True),
            v2.RandomHorizontalFlip(), *([v2.TrivialAugmentWide()] if policy == "trivial_augment" else []),
            v2.ToDtype(torch.float32, scale=True), v2.Normalize(self.mean, self.std)])
        return lambda image: np.asarray(pipeline(image))

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), **versioned("image")}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImageProcessor:
        """The processor ``data`` describes.

        Raises:
            RuleVersionError: rules of another version (see ``base.rules.check_rule_version``).
        """
        check_rule_version("image", data)
        return cls(list(data["columns"]), list(data["kinds"]), int(data["size"]), tuple(data["mean"]),
                   tuple(data["std"]), int(data.get("max_images_per_row", 2)), int(data.get("draft_size", DRAFT_SIZE)))
