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


def read_image(cell: Any, kind: ColumnType) -> list[Image.Image | None]:
    """Every image in one cell as RGB; an unreadable one becomes None (masked out by the model)."""
    if cell is None or cell is pd.NA or (isinstance(cell, float) and np.isnan(cell)):
        return []
    if kind is ColumnType.IMAGE_PATH:
        return [_open(path) for path in split_paths(cell)]
    if kind is ColumnType.IMAGE_BASE64:
        try:
            return [_open(io.BytesIO(base64.b64decode(str(cell), validate=True)))]
        except (binascii.Error, ValueError):
            return [None]
    if isinstance(cell, (bytes, bytearray)):
        return [_open(io.BytesIO(bytes(cell)))]
    return [None]


def _open(source: Any) -> Image.Image | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source) as image:
                image.draft("RGB", (1024, 1024))  # JPEG: decode at reduced size when the file is large
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
    """Resize shorter side, centre crop, normalise; random crop and flip when training."""

    columns: list[str]
    kinds: list[str]
    size: int
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    max_images_per_row: int = 2

    def transform(self, data: Mapping[str, Sequence[Any]], train: bool = False, augment: bool = True) -> dict[str, Any]:
        """Pixels ``[rows, max_images, 3, size, size]`` and a mask of which slots hold an image."""
        rows = len(data[self.columns[0]])
        pixels = torch.zeros(rows, self.max_images_per_row, 3, self.size, self.size)
        mask = torch.zeros(rows, self.max_images_per_row, dtype=torch.bool)
        pipeline = self._pipeline(train and augment)
        for row in range(rows):
            images = [img for col, kind in zip(self.columns, self.kinds)
                      for img in read_image(data[col][row], ColumnType(kind))]
            images = [img for img in images if img is not None][: self.max_images_per_row]
            for slot, image in enumerate(images):
                pixels[row, slot] = pipeline(image)
                mask[row, slot] = True
        return {"pixels": pixels, "mask": mask}

    def _pipeline(self, train: bool):
        from torchvision.transforms import v2  # imported on first use: it costs seconds at import time

        resize = (
            [v2.RandomResizedCrop(self.size, scale=(0.6, 1.0), antialias=True), v2.RandomHorizontalFlip()]
            if train
            else [v2.Resize(self.size, antialias=True), v2.CenterCrop(self.size)]
        )
        return v2.Compose([v2.PILToTensor(), *resize, v2.ToDtype(torch.float32, scale=True),
                           v2.Normalize(self.mean, self.std)])

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
