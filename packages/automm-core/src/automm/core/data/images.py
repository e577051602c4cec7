"""Image reading (paths, bytes, base64) and JSON-describable transforms."""

from __future__ import annotations

import base64
import binascii
import io
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from PIL import Image, UnidentifiedImageError

from .column_types import ColumnType, split_paths

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
DRAFT_SIZE = 1024  # a large JPEG is decoded at reduced size (PIL's draft) when it is at least this big
# The rules of the prediction-time transform by name, stored in processors.json for runtimes without torch.
RULES = {
    "cells": "image_path cells hold paths separated by ';', image_base64 one base64 image, image_bytes raw bytes; "
             "an unreadable image is skipped",
    "decode": "PIL open, draft('RGB', (draft_size, draft_size)); 16-bit and float images scaled to 8 bits "
              "(by 65535 when the maximum exceeds 255, else by 255); alpha composited over white; then RGB",
    "resize": "PIL bilinear resize of the shorter side to size, the longer to int(size * long / short)",
    "crop": "centre crop to size x size, top = round((height - size) / 2), left = round((width - size) / 2)",
    "pixels": "float32 / 255, minus mean, divided by std, channels first",
    "slots": "the row's readable images in column order, at most max_images_per_row; mask true where a slot "
             "holds an image, zeros elsewhere",
}


def read_image(cell: Any, kind: ColumnType, draft_size: int = DRAFT_SIZE) -> list[Image.Image | None]:
    """Every image in one cell as RGB; an unreadable one becomes None (masked out by the model)."""
    if cell is None or cell is pd.NA or (isinstance(cell, float) and np.isnan(cell)):
        return []
    if kind is ColumnType.IMAGE_PATH:
        return [_open(path, draft_size) for path in split_paths(cell)]
    if kind is ColumnType.IMAGE_BASE64:
        try:
            return [_open(io.BytesIO(base64.b64decode(str(cell), validate=True)), draft_size)]
        except (binascii.Error, ValueError):
            return [None]
    if isinstance(cell, (bytes, bytearray)):
        return [_open(io.BytesIO(bytes(cell)), draft_size)]
    return [None]


def _open(source: Any, draft_size: int = DRAFT_SIZE) -> Image.Image | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source) as image:
                image.draft("RGB", (draft_size, draft_size))  # JPEG: decode at reduced size when the file is large
                return to_rgb(image)
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning, SyntaxError):
        return None


def to_rgb(image: Image.Image) -> Image.Image:
    """RGB from any mode: grey, palette, RGBA, CMYK, 16-bit and float images included."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        array = np.asarray(image, dtype=np.float32)
        top = 65535.0 if array.max(initial=0) > 255 else 255.0
        image = Image.fromarray(np.clip(array / top * 255.0, 0, 255).astype(np.uint8), mode="L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image)
    return image.convert("RGB")


@dataclass(frozen=True)
class ImageProcessor:
    """Resize shorter side, centre crop, normalise (``RULES``); random crop and flip when training."""

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
        pixels = torch.zeros(rows, self.max_images_per_row, 3, self.size, self.size)
        mask = torch.zeros(rows, self.max_images_per_row, dtype=torch.bool)
        pipeline = self._pipeline(policy if train and augment else None)
        for row in range(rows):
            images = [img for col, kind in zip(self.columns, self.kinds)
                      for img in read_image(data[col][row], ColumnType(kind), self.draft_size)]
            images = [img for img in images if img is not None][: self.max_images_per_row]
            for slot, image in enumerate(images):
                pixels[row, slot] = pipeline(image)
                mask[row, slot] = True
        return {"pixels": pixels, "mask": mask}

    def _pipeline(self, policy: str | None):
        """The transform of one image: prediction's when ``policy`` is None, else that training augmentation."""
        from torchvision.transforms import v2  # imported on first use: it costs seconds at import time

        if policy not in (None, "crop_flip", "trivial_augment"):
            raise ValueError(f"unknown image augmentation policy {policy!r}")
        # Prediction resizes and crops the PIL image (PIL's bilinear filter), so Pillow alone reproduces it.
        resize = (
            [v2.PILToTensor(), v2.RandomResizedCrop(self.size, scale=(0.6, 1.0), antialias=True),
             v2.RandomHorizontalFlip(), *([v2.TrivialAugmentWide()] if policy == "trivial_augment" else [])]
            if policy is not None
            else [v2.Resize(self.size, antialias=True), v2.CenterCrop(self.size), v2.PILToTensor()]
        )
        return v2.Compose([*resize, v2.ToDtype(torch.float32, scale=True), v2.Normalize(self.mean, self.std)])

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "rules": RULES}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImageProcessor:
        if data.get("rules", RULES) != RULES:
            raise ValueError("image.rules are not the rules this version implements")
        return cls(list(data["columns"]), list(data["kinds"]), int(data["size"]), tuple(data["mean"]),
                   tuple(data["std"]), int(data.get("max_images_per_row", 2)), int(data.get("draft_size", DRAFT_SIZE)))
