"""Image columns -> normalised pixel slots, with ``automm.core.base.images`` (the torch predictor's rules)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from automm.core.base.images import check_image_rows, pack_slots, prediction_pixels, row_images

from .rules import require_rules


class ImageInputs:
    """Pixels ``[rows, slots, 3, size, size]`` and their mask ``[rows, slots]``; ``slots`` is the most images any
    row of the call has (at least 1, at most ``max_images_per_row``): the graph's slot axis is dynamic.

    A cell may hold a path, bytes, base64 (optionally a data: URI), a PIL image or a pixel array, as in the torch
    predictor. With ``allow_paths=False`` (a server) image cells must be base64 (or bytes) and a bad one is an
    InputError instead of a skipped image, so a request never reads the server's files.
    """

    def __init__(self, recipe: dict[str, Any], allow_paths: bool = True):
        require_rules("image", recipe)
        self.columns, self.kinds = list(recipe["columns"]), list(recipe["kinds"])
        self.size, self.max_slots = int(recipe["size"]), int(recipe["max_images_per_row"])
        self.draft = int(recipe["draft_size"])
        self.pixels = prediction_pixels(self.size, recipe["mean"], recipe["std"])
        self.allow_paths = allow_paths

    def check(self, frame: pd.DataFrame, images_only: bool = True) -> None:
        """Warn about rows whose every image is unreadable; refuse rows of which none has a readable image when the
        images are the only input (a server's rows are checked cell by cell when read instead).

        Raises:
            InputError: no row of ``frame`` has a readable image though some hold images, and ``images_only``.
        """
        if self.allow_paths and len(frame):
            check_image_rows([frame[column].tolist() for column in self.columns], self.columns, self.kinds,
                             list(frame.index), "rows", images_only=images_only)

    def __call__(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        rows = [row_images([frame[column].iloc[position] for column in self.columns], self.kinds, self.max_slots,
                           self.draft, self.allow_paths,
                           [f"Column {column!r}, row {frame.index[position]!r}" for column in self.columns])
                for position in range(len(frame))]
        pixels, mask = pack_slots(rows, max([1, *(len(images) for images in rows)]), self.size, self.pixels)
        return {"image_pixels": pixels, "image_mask": mask}
