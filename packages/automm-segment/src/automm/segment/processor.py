"""Images and masks to letterboxed batches: the longer side resized to ``S``, padded to ``S x S`` at the top-left.

Training flips and rescales image and mask together (bilinear for the image, nearest for the mask), takes a
random ``S x S`` window when the rescaled image is larger, and marks padding as ``IGNORE`` in the target.
Evaluation keeps each row's mask at its original size for the metrics.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch

from automm.core.errors import InputError
from automm.core.plugin import (
    LETTERBOX_RECIPE,
    PROCESSOR_KINDS,
    letterbox_scale,
    read_letterboxed,
    read_pixels,
    resize_pixels,
    scaled_size,
)

from .masks import MaskCodec
from .prompts import batch_prompts, check_inside, parse_box, parse_points, row_prompts, transform

IGNORE = -100  # target value of padding pixels: no loss there


@dataclass
class SegmentationBatch:
    """Letterboxed images plus what maps outputs back to each original image.

    ``target`` is ``[B, S, S]`` long class indices (``IGNORE`` on padding) when training, the original-size
    ``[H, W]`` class-index masks when evaluating, None when predicting. ``prompts`` (SAM's point and box prompts,
    ``[B, N, 3]`` ``(x, y, label)`` in the input's pixels, see ``prompts.py``) is None without prompt columns.
    """

    images: torch.Tensor  # [B, 3, S, S] float in [0, 1]
    sizes: torch.Tensor  # [B, 2] original (height, width)
    valid: torch.Tensor  # [B, 2] (height, width) of the resized image inside the S x S input
    target: Any = None
    prompts: torch.Tensor | None = None

    def to(self, device: torch.device | str) -> SegmentationBatch:
        target = self.target.to(device) if isinstance(self.target, torch.Tensor) else self.target
        prompts = None if self.prompts is None else self.prompts.to(device)
        return SegmentationBatch(self.images.to(device), self.sizes.to(device), self.valid.to(device), target,
                                 prompts)

    def __len__(self) -> int:
        return len(self.images)


@PROCESSOR_KINDS.register("segmentation")
@dataclass(frozen=True)
class SegmentationProcessor:
    """Reads one image column (and optional point / box prompt columns); targets are mask paths decoded by
    ``codec``; ``image_size`` is ``S``."""

    kind: ClassVar[str] = "segmentation"
    column: str
    image_size: int
    codec: MaskCodec
    augment: bool = True
    scale_jitter: tuple[float, float] = (0.75, 1.25)
    flip: bool = True
    point_column: str = ""
    box_column: str = ""

    @property
    def prompt_columns(self) -> list[str]:
        return [c for c in (self.point_column, self.box_column) if c]

    @property
    def columns(self) -> list[str]:
        return [self.column, *self.prompt_columns]

    def collate(self, rows: pd.DataFrame, targets: np.ndarray | None = None, train: bool = False,
                ) -> SegmentationBatch:
        size, count = self.image_size, len(rows)
        images = torch.zeros(count, 3, size, size)
        sizes, valid = torch.zeros(count, 2, dtype=torch.long), torch.zeros(count, 2, dtype=torch.long)
        train_target = torch.full((count, size, size), IGNORE, dtype=torch.long) if train else None
        masks: list[np.ndarray] = []
        prompts: list[np.ndarray] = []
        augment = train and self.augment and targets is not None
        for i, (row, path) in enumerate(rows[self.column].items()):
            if augment:
                pixels = read_pixels(path, row)
                height, width = pixels.shape[-2:]
            else:  # already letterboxed (PIL's resize: what a runtime without torch reproduces)
                pixels, (height, width) = read_letterboxed(path, size, row)
            sizes[i] = torch.tensor([height, width])
            prompt = self._prompts(rows, i, row, height, width)
            mask = None
            if targets is not None:
                mask = self.codec.decode(targets[i], row)
                if mask.shape != (height, width):
                    raise InputError(f"Row {row!r}: mask {str(targets[i])!r} is {mask.shape[1]}x{mask.shape[0]} px but "
                                     f"image {str(path)!r} is {width}x{height} px. A mask must have its image's size.")
                masks.append(mask)
            if augment:
                pixels, label, prompt = self._augment(pixels, torch.from_numpy(mask.astype(np.int64))[None], prompt)
            else:
                new = tuple(pixels.shape[-2:])
                label = None if mask is None else resize_pixels(torch.from_numpy(mask.astype(np.int64))[None], new,
                                                                "nearest")
                if prompt is not None:
                    prompt = prompt.copy()
                    prompt[:, :2] *= np.asarray([new[1] / width, new[0] / height], np.float32)
            if prompt is not None:
                prompts.append(prompt)
            h, w = pixels.shape[-2:]
            valid[i] = torch.tensor([h, w])
            images[i, :, :h, :w] = pixels
            if train_target is not None and label is not None:
                train_target[i, :h, :w] = label[0]
        target = train_target if train else (masks if targets is not None else None)
        return SegmentationBatch(images, sizes, valid, target, batch_prompts(prompts) if prompts else None)

    def _prompts(self, rows: pd.DataFrame, position: int, row: Any, height: int, width: int) -> np.ndarray | None:
        """The row's ``[m, 3]`` prompts in the original image's pixels, or None without prompt columns."""
        if not self.prompt_columns:
            return None
        points = parse_points(rows[self.point_column].iloc[position], row, self.point_column) if self.point_column \
            else np.zeros((0, 3), np.float32)
        box = parse_box(rows[self.box_column].iloc[position], row, self.box_column) if self.box_column else None
        prompts = row_prompts(points, box)
        check_inside(prompts, height, width, row, self.prompt_columns)
        return prompts

    def _augment(self, pixels: torch.Tensor, label: torch.Tensor, prompts: np.ndarray | None,
                 ) -> tuple[torch.Tensor, torch.Tensor, np.ndarray | None]:
        """Flip all three at random, rescale by a random factor, keep a random ``S x S`` window of what is larger."""
        height, width = pixels.shape[-2:]
        flipped = self.flip and bool(torch.rand(()) < 0.5)
        if flipped:
            pixels, label = pixels.flip(-1), label.flip(-1)
        low, high = self.scale_jitter
        scale = letterbox_scale(height, width, self.image_size) * float(torch.empty(()).uniform_(low, high))
        new = scaled_size(height, width, scale)
        pixels, label = resize_pixels(pixels, new), resize_pixels(label, new, "nearest")
        top = int(torch.randint(0, max(1, new[0] - self.image_size + 1), ()))
        left = int(torch.randint(0, max(1, new[1] - self.image_size + 1), ()))
        window = np.s_[..., top : top + self.image_size, left : left + self.image_size]
        if prompts is not None:
            prompts = transform(prompts, width if flipped else None, (new[1] / width, new[0] / height), (left, top),
                                self.image_size)
        return pixels[window], label[window], prompts

    def to_json(self) -> dict[str, Any]:
        return {"column": self.column, "image_size": self.image_size, "codec": self.codec.to_json(),
                "augment": self.augment, "scale_jitter": list(self.scale_jitter), "flip": self.flip,
                "point_column": self.point_column, "box_column": self.box_column, "recipe": RECIPE}

    @classmethod
    def from_json(cls, data: dict[str, Any], text_folder: Path | None = None) -> SegmentationProcessor:
        if not (isinstance(data.get("column"), str) and isinstance(data.get("image_size"), int)
                and data["image_size"] >= 32 and isinstance(data.get("codec"), dict)):
            raise ValueError("segmentation processors need a column name, an integer image_size >= 32 and a codec")
        jitter = data.get("scale_jitter", (0.75, 1.25))
        point_column, box_column = data.get("point_column", ""), data.get("box_column", "")
        if not (isinstance(point_column, str) and isinstance(box_column, str)):
            raise ValueError("point_column and box_column must be column names (or empty)")
        return cls(data["column"], data["image_size"], MaskCodec.from_json(data["codec"]),
                   bool(data.get("augment", True)), (float(jitter[0]), float(jitter[1])), bool(data.get("flip", True)),
                   point_column, box_column)


# How prediction-time inputs are made and outputs mapped back, for runtimes that redo it without torch.
RECIPE = {**LETTERBOX_RECIPE, "prompts": "point_column / box_column cells (JSON lists, original pixels) -> per row "
          "[m, 3] (x, y, label): points (label 1 foreground, 0 background), then the box as corners labelled 2 and "
          "3, or one padding entry labelled -1; coordinates times (resized width / width, resized height / height); "
          "the network runs rows with the same count together (padding changes SAM's masks)",
          "masks": "output logits cropped to the resized image (top-left), resized bilinearly "
          "(half-pixel centres, no antialias) to the original size, then sigmoid (binary: foreground where "
          "p >= threshold) or softmax (argmax over classes)"}
