"""Images and boxes to letterboxed batches: resize the longer side to ``S``, pad to ``S x S`` at the top-left.

Training adds a horizontal flip and a random letterbox scale (``scale_jitter``), applied to the boxes too
(``automm.core.vision.processor``). Prediction reads with ``automm.core.base.letterbox``, so a numpy-only runtime
redoes it (rule family "detection", versioned in processors.json).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch

from automm.core.plugin import PROCESSOR_KINDS
from automm.core.vision.batch import LetterboxBatch
from automm.core.vision.processor import LetterboxProcessor, Placement


@dataclass
class DetectionBatch(LetterboxBatch):
    """Letterboxed images plus what maps boxes back to each original image (``scales``, ``sizes``).

    ``target`` holds each row's ground truth in original pixels (``[n, 5]``: x1, y1, x2, y2, class index),
    ``train_targets`` the same boxes in input pixels after augmentation (torchvision's target format).
    """

    train_targets: list[dict[str, torch.Tensor]] | None = None


@PROCESSOR_KINDS.register("detection")
@dataclass(frozen=True)
class DetectionProcessor(LetterboxProcessor[DetectionBatch]):
    """Reads one image column; ``image_size`` is ``S``; ``scale_jitter`` the training resize range."""

    kind: ClassVar[str] = "detection"

    def load_target(self, rows: pd.DataFrame, position: int, path: Any, target: Any, original: tuple[int, int],
                    ) -> np.ndarray:
        """The row's ``[n, 5]`` boxes (none when predicting)."""
        return target if target is not None else np.zeros((0, 5), np.float32)

    def transform_target(self, loaded: np.ndarray, placement: Placement) -> dict[str, torch.Tensor]:
        """The boxes flipped, resized and clipped like the image, in torchvision's target format."""
        boxes = loaded
        if placement.flipped:
            boxes = boxes.copy()
            boxes[:, [0, 2]] = placement.width - boxes[:, [2, 0]]
        boxes = _clip(_scale_boxes(boxes, *placement.scale), self.image_size)
        labels = torch.from_numpy(boxes[:, 4].astype(np.int64))
        return {"boxes": torch.from_numpy(boxes[:, :4].copy()), "labels": labels}

    def make_batch(self, letterboxed: LetterboxBatch, loaded: list[Any], placed: list[Any], labelled: bool,
                   train: bool) -> DetectionBatch:
        return DetectionBatch(letterboxed.images, letterboxed.sizes, letterboxed.valid,
                              loaded if labelled else None, placed if labelled else None)

    def to_json(self) -> dict[str, Any]:
        return self.letterbox_json()


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
