"""Whole images for dense tasks -> letterboxed inputs, with ``automm.core.base.letterbox`` (the predictor's own):
EXIF-rotated RGB, the longer side resized to the input size with PIL's bilinear filter, zero-padded at the
bottom and right, scaled to [0, 1]."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

from automm.core.base.images import base64_bytes
from automm.core.base.letterbox import UNREADABLE, letterbox, open_rgb
from automm.core.errors import InputError

from .rules import require_rules


@dataclass(frozen=True)
class Letterboxed:
    """A chunk of rows ready for the graph, and what maps its outputs back to each original image."""

    images: np.ndarray  # [B, 3, S, S] float32
    valid: np.ndarray  # [B, 2] (height, width) of each resized image inside the input
    sizes: np.ndarray  # [B, 2] original (height, width)


class LetterboxInputs:
    """One image column -> ``Letterboxed``; ``allow_paths=False`` (a server) takes base64 images only.

    ``recipe`` is processors.json: its "kind" (detection, segmentation) names the rule family it was written with.
    """

    def __init__(self, recipe: dict[str, Any], allow_paths: bool = True):
        require_rules(str(recipe.get("kind", "segmentation")), recipe)
        self.column, self.size, self.allow_paths = str(recipe["column"]), int(recipe["image_size"]), allow_paths

    def __call__(self, frame: pd.DataFrame) -> Letterboxed:
        images = np.zeros((len(frame), 3, self.size, self.size), np.float32)
        valid, sizes = np.zeros((len(frame), 2), np.int64), np.zeros((len(frame), 2), np.int64)
        for i, (row, cell) in enumerate(frame[self.column].items()):
            images[i], valid[i], sizes[i] = letterbox(self._read(cell, row), self.size)
        return Letterboxed(images, valid, sizes)

    def _read(self, cell: Any, row: Any) -> Image.Image:
        source = cell if self.allow_paths else base64_bytes(cell)
        try:
            if source is None:
                raise ValueError("not base64")
            return open_rgb(source)
        except UNREADABLE as err:
            hint = "Send it as base64 of the image file's bytes." if not self.allow_paths else "Fix the path."
            raise InputError(f"Column {self.column!r}, row {row!r}: {str(cell)[:60]!r} cannot be read as an image "
                             f"({err}). {hint}") from None
