"""Images and boxes to letterboxed batches: resize the longer side to ``S``, pad to ``S x S`` at the top-left.

Training adds a horizontal flip and a random letterbox scale (``scale_jitter``), applied to the boxes too.
The recipe is stored in processors.json, so a numpy-only runtime can redo it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch

from automm.core.plugin import (
    LETTERBOX_RECIPE,
    PROCESSOR_KINDS,
    read_letterboxed,
    read_pixels,
    resize_pixels,
    scaled_size,
)


@dataclass
class DetectionBatch:
    """Letterboxed images plus what maps boxes back to each original image.

    ``target`` holds each row's ground truth in original pixels (``[n, 5]``: x1, y1, x2, y2, class index),
    ``train_targets`` the same boxes in input pixels after augmentation (torchvision's target format).
    """

    images: torch.Tensor  # [B, 3, S, S] float in [0, 1]
    scales: torch.Tensor  # [B] input pixels per original pixel
    sizes: torch.Tensor  # [B, 2] original (height, width)
    target: list[np.ndarray] | None = None
    train_targets: list[dict[str, torch.Tensor]] | None = None

    def to(self, device: torch.device | str) -> DetectionBatch:
        moved = None if self.train_targets is None else [
            {k: v.to(device) for k, v in t.items()} for t in self.train_targets]
        return DetectionBatch(self.images.to(device), self.scales.to(device), self.sizes.to(device), self.target,
                              moved)

    def __len__(self) -> int:
        return len(self.images)


@PROCESSOR_KINDS.register("detection")
@dataclass(frozen=True)
class DetectionProcessor:
    """Reads one image column; ``image_size`` is ``S``; ``scale_jitter`` the training resize range."""

    kind: ClassVar[str] = "detection"
    column: str
    image_size: int
    augment: bool = True
    scale_jitter: tuple[float, float] = (0.75, 1.25)
    flip: bool = True

    @property
    def columns(self) -> list[str]:
        return [self.column]

    def collate(self, rows: pd.DataFrame, targets: np.ndarray | None = None, train: bool = False) -> DetectionBatch:
        size = self.image_size
        images = torch.zeros(len(rows), 3, size, size)
        scales, sizes, train_targets = torch.ones(len(rows)), torch.zeros(len(rows), 2, dtype=torch.long), []
        for i, (row, path) in enumerate(rows[self.column].items()):
            boxes = targets[i] if targets is not None else np.zeros((0, 5), np.float32)
            if train and self.augment:
                pixels = read_pixels(path, row)
                sizes[i] = torch.tensor(pixels.shape[-2:])
                pixels, boxes = self._augment(pixels, boxes)
            else:  # already letterboxed (PIL's resize: what a runtime without torch reproduces)
                pixels, (height, width) = read_letterboxed(path, size, row)
                sizes[i], scales[i] = torch.tensor([height, width]), size / max(height, width)
                boxes = _scale_boxes(boxes, pixels.shape[-1] / width, pixels.shape[-2] / height)
            images[i, :, : pixels.shape[1], : pixels.shape[2]] = pixels[:, :size, :size]
            boxes = _clip(boxes, size)
            train_targets.append({"boxes": torch.from_numpy(boxes[:, :4].copy()),
                                  "labels": torch.from_numpy(boxes[:, 4].astype(np.int64))})
        return DetectionBatch(images, scales, sizes, None if targets is None else list(targets),
                              train_targets if targets is not None else None)

    def _augment(self, pixels: torch.Tensor, boxes: np.ndarray) -> tuple[torch.Tensor, np.ndarray]:
        """Random flip, then a letterbox resize jittered by ``scale_jitter`` (cropped at ``S``)."""
        if self.flip and torch.rand(()) < 0.5:
            width = pixels.shape[-1]
            pixels = pixels.flip(-1)
            boxes = boxes.copy()
            boxes[:, [0, 2]] = width - boxes[:, [2, 0]]
        low, high = self.scale_jitter
        scale = self.image_size / max(pixels.shape[-2:]) * float(torch.empty(()).uniform_(low, high))
        return _resize(pixels, scale, boxes)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "recipe": RECIPE}

    @classmethod
    def from_json(cls, data: dict[str, Any], text_folder: Path | None = None) -> DetectionProcessor:
        if not (isinstance(data.get("column"), str) and isinstance(data.get("image_size"), int)
                and data["image_size"] >= 32):
            raise ValueError("detection processors need a column name and an integer image_size >= 32")
        jitter = data.get("scale_jitter", (0.75, 1.25))
        return cls(data["column"], data["image_size"], bool(data.get("augment", True)),
                   (float(jitter[0]), float(jitter[1])), bool(data.get("flip", True)))


# How prediction-time inputs are made, for runtimes that redo it without torch.
RECIPE = {**LETTERBOX_RECIPE, "boxes": "output / scale, clipped to the original image"}


def _resize(pixels: torch.Tensor, scale: float, boxes: np.ndarray) -> tuple[torch.Tensor, np.ndarray]:
    height, width = pixels.shape[-2:]
    new = scaled_size(height, width, scale)
    return resize_pixels(pixels, new), _scale_boxes(boxes, new[1] / width, new[0] / height)


def _scale_boxes(boxes: np.ndarray, x: float, y: float) -> np.ndarray:
    """Boxes of an image resized by ``x`` horizontally and ``y`` vertically."""
    boxes = boxes.astype(np.float32, copy=True)
    boxes[:, :4] *= np.array([x, y] * 2, dtype=np.float32)
    return boxes


def _clip(boxes: np.ndarray, size: int) -> np.ndarray:
    """Boxes clipped to the ``S x S`` input; boxes left under one pixel wide or high are dropped."""
    boxes = boxes.astype(np.float32, copy=True)
    boxes[:, :4] = boxes[:, :4].clip(0, size)
    keep = (boxes[:, 2] - boxes[:, 0] >= 1) & (boxes[:, 3] - boxes[:, 1] >= 1)
    return boxes[keep]
