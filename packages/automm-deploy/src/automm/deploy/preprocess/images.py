"""Image columns -> normalised pixel slots with Pillow + numpy, as processors.json's image recipe says."""

from __future__ import annotations

import base64
import binascii
import io
import warnings
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image, UnidentifiedImageError

from ..errors import DeployError, InputError

# The image rules this runtime implements, as automm-core writes them in processors.json.
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
PATH_SEPARATOR = ";"
_UNREADABLE = (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError,
               Image.DecompressionBombWarning, SyntaxError)


class ImageInputs:
    """Pixels ``[rows, slots, 3, size, size]`` and their mask ``[rows, slots]``; ``slots`` is the most images any
    row of the call has (at least 1, at most ``max_images_per_row``): the graph's slot axis is dynamic.

    With ``allow_paths=False`` (a server) image cells must be base64 and a bad one is an InputError instead of
    a skipped image, so a request never reads the server's files.
    """

    def __init__(self, recipe: dict[str, Any], allow_paths: bool = True):
        if recipe.get("rules") != RULES:
            raise DeployError("processors.json's image rules are missing (a predictor saved by automm-core < 0.2.3: "
                              "load and save it with a newer core, then export) or are not the ones this "
                              "automm-deploy implements (upgrade it).")
        self.columns, self.kinds = list(recipe["columns"]), list(recipe["kinds"])
        self.size, self.max_slots = int(recipe["size"]), int(recipe["max_images_per_row"])
        self.draft = int(recipe["draft_size"])
        self.mean = np.asarray(recipe["mean"], np.float32).reshape(3, 1, 1)
        self.std = np.asarray(recipe["std"], np.float32).reshape(3, 1, 1)
        self.allow_paths = allow_paths

    def __call__(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        rows = []
        for position in range(len(frame)):
            images = [image for column, kind in zip(self.columns, self.kinds)
                      for image in self._cell(frame[column].iloc[position], kind, frame.index[position], column)]
            rows.append([image for image in images if image is not None][: self.max_slots])
        slots = max([1, *(len(images) for images in rows)])
        pixels = np.zeros((len(frame), slots, 3, self.size, self.size), np.float32)
        mask = np.zeros((len(frame), slots), bool)
        for row, images in enumerate(rows):
            for slot, image in enumerate(images):
                pixels[row, slot], mask[row, slot] = self._pixels(image), True
        return {"image_pixels": pixels, "image_mask": mask}

    def _cell(self, cell: Any, kind: str, row: Any, column: str) -> list[Image.Image | None]:
        if cell is None or cell is pd.NA or (isinstance(cell, float) and np.isnan(cell)):
            return []
        if kind == "image_path" and self.allow_paths:
            return [self._open(path) for path in (p.strip() for p in str(cell).split(PATH_SEPARATOR)) if path]
        if kind == "image_bytes" and isinstance(cell, (bytes, bytearray)):
            return [self._open(io.BytesIO(bytes(cell)))]
        if kind in ("image_base64", "image_path"):  # a server takes every image as base64
            data = base64_bytes(cell)
            image = None if data is None else self._open(data)
            if image is None and not self.allow_paths:
                raise InputError(f"Column {column!r}, row {row!r}: {str(cell)[:40]!r} is not a base64-encoded image. "
                                 "Send each image as base64 of its file's bytes (file paths are not read).")
            return [image]
        return [None]

    def _open(self, source: Any) -> Image.Image | None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(source) as image:
                    image.draft("RGB", (self.draft, self.draft))
                    return to_rgb(image)
        except _UNREADABLE:
            return None

    def _pixels(self, image: Image.Image) -> np.ndarray:
        """Shorter side to ``size`` (PIL bilinear), centre crop, scale and normalise: ``[3, size, size]``."""
        width, height = image.size
        short, long = (width, height) if width <= height else (height, width)
        new_short, new_long = self.size, int(self.size * long / short)
        new_width, new_height = (new_short, new_long) if width <= height else (new_long, new_short)
        if (new_width, new_height) != (width, height):
            image = image.resize((new_width, new_height), resample=Image.BILINEAR)
        top, left = int(round((new_height - self.size) / 2.0)), int(round((new_width - self.size) / 2.0))
        image = image.crop((left, top, left + self.size, top + self.size))
        array = np.asarray(image, np.float32).transpose(2, 0, 1) * np.float32(1.0 / 255)  # as torchvision scales
        return (array - self.mean) / self.std


def base64_bytes(cell: Any) -> io.BytesIO | None:
    """The bytes a base64 cell encodes, or None when it is not valid base64."""
    try:
        return io.BytesIO(base64.b64decode(str(cell), validate=True))
    except (binascii.Error, ValueError):
        return None


def to_rgb(image: Image.Image) -> Image.Image:
    """RGB from any mode: 16-bit and float images scaled to 8 bits, transparency composited over white."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        array = np.asarray(image, dtype=np.float32)
        top = 65535.0 if array.max(initial=0) > 255 else 255.0
        image = Image.fromarray(np.clip(array / top * 255.0, 0, 255).astype(np.uint8), mode="L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", image.size, (255, 255, 255, 255)), image)
    return image.convert("RGB")
