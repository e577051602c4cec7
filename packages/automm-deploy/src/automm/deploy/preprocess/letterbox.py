"""Whole images for dense tasks -> letterboxed inputs, with ``automm.core.base.letterbox`` (the predictor's own):
EXIF-rotated RGB, the longer side resized to the input size with PIL's bilinear filter, zero-padded at the
bottom and right, scaled to [0, 1]."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

from automm.core.base.images import Unreadable, image_sources, to_rgb
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
        """The one image of a cell (a path, bytes, base64, a PIL image or pixels; base64 or bytes only for a
        server)."""
        hint = ("Send it as base64 of the image file's bytes." if not self.allow_paths else
                "Give a file path, the file's bytes or their base64.")
        sources = image_sources(cell, "image_path", self.allow_paths)
        if len(sources) != 1:
            raise InputError(f"Column {self.column!r}, row {row!r}: {str(cell)[:60]!r} holds {len(sources)} images; "
                             f"this model reads one image per row. {hint}")
        try:
            if isinstance(sources[0], Unreadable):
                raise ValueError(sources[0].reason)
            return to_rgb(sources[0]) if isinstance(sources[0], Image.Image) else open_rgb(sources[0])
        except UNREADABLE as err:
            raise InputError(f"Column {self.column!r}, row {row!r}: {str(cell)[:60]!r} cannot be read as an image "
                             f"({err}). {hint}") from None
