"""Whole images for dense tasks (segmentation) -> letterboxed inputs, as processors.json's letterbox recipe says:
EXIF-rotated RGB, the longer side resized to the input size with PIL's bilinear filter, zero-padded at the
bottom and right, scaled to [0, 1]."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import DeployError, InputError
from .images import base64_bytes, to_rgb

# The letterbox rules this runtime implements, as automm-core writes them in processors.json.
RULES = {"decode": "EXIF-rotated, RGB (alpha over white, 16-bit rescaled)", "resize": "PIL bilinear resize of the "
         "8-bit RGB image to (max(1, round(H * s)), max(1, round(W * s))) with s = image_size / max(H, W)",
         "pad": "zeros at the bottom and right to image_size x image_size",
         "scale": "pixels / 255, no mean/std (the network normalises)"}


@dataclass(frozen=True)
class Letterboxed:
    """A chunk of rows ready for the graph, and what maps its outputs back to each original image."""

    images: np.ndarray  # [B, 3, S, S] float32
    valid: np.ndarray  # [B, 2] (height, width) of each resized image inside the input
    sizes: np.ndarray  # [B, 2] original (height, width)


class LetterboxInputs:
    """One image column -> ``Letterboxed``; ``allow_paths=False`` (a server) takes base64 images only."""

    def __init__(self, recipe: dict[str, Any], allow_paths: bool = True):
        if any(recipe.get("recipe", {}).get(key) != rule for key, rule in RULES.items()):
            raise DeployError("processors.json's letterbox rules are not the ones this automm-deploy implements "
                              "(a predictor saved by an older automm: load and save it with a newer one, then "
                              "export; or upgrade automm-deploy).")
        self.column, self.size, self.allow_paths = str(recipe["column"]), int(recipe["image_size"]), allow_paths

    def __call__(self, frame: pd.DataFrame) -> Letterboxed:
        images = np.zeros((len(frame), 3, self.size, self.size), np.float32)
        valid, sizes = np.zeros((len(frame), 2), np.int64), np.zeros((len(frame), 2), np.int64)
        for i, (row, cell) in enumerate(frame[self.column].items()):
            image = self._read(cell, row)
            width, height = image.size
            scale = self.size / max(height, width)
            new = (max(1, round(height * scale)), max(1, round(width * scale)))
            if new != (height, width):
                image = image.resize((new[1], new[0]), resample=Image.BILINEAR)
            images[i, :, : new[0], : new[1]] = np.asarray(image, np.float32).transpose(2, 0, 1) / np.float32(255)
            valid[i], sizes[i] = new, (height, width)
        return Letterboxed(images, valid, sizes)

    def _read(self, cell: Any, row: Any) -> Image.Image:
        source = cell if self.allow_paths else base64_bytes(cell)
        try:
            if source is None:
                raise ValueError("not base64")
            with Image.open(source) as image:
                return to_rgb(ImageOps.exif_transpose(image))
        except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as err:
            hint = "Send it as base64 of the image file's bytes." if not self.allow_paths else "Fix the path."
            raise InputError(f"Column {self.column!r}, row {row!r}: {str(cell)[:60]!r} cannot be read as an image "
                             f"({err}). {hint}") from None
