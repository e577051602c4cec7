"""Table rows -> a graph's named input arrays, from the predictor's processors.json (no torch)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DeployError, InputError
from ..manifest import TOKENIZER_FILE
from .images import ImageInputs
from .tabular import categorical_processor, numerical_processor
from .text import TextInputs

BLOCK_ROWS = 4096  # rows whose table and text inputs a chunked call makes at once (tokens, padded ids)


class MultimodalInputs:
    """The inputs of a "multimodal" network: numerical, categorical, text_ids / text_mask / text_present,
    image_pixels / image_mask (those of the modalities the predictor uses)."""

    def __init__(self, recipe: dict[str, Any], folder: Path, allow_paths: bool = True):
        if "kind" in recipe or "sides" in recipe:
            raise DeployError("processors.json does not describe a multimodal network's inputs.")
        numeric, categories = recipe.get("numerical") or {}, recipe.get("categorical") or {}
        self.numerical = numerical_processor(numeric) if numeric.get("columns") else None
        self.categorical = categorical_processor(categories) if categories.get("columns") else None
        self.text = TextInputs(recipe["text"], folder / TOKENIZER_FILE) if recipe.get("text") else None
        self.image = ImageInputs(recipe["image"], allow_paths) if recipe.get("image") else None
        parts = [self.numerical, self.categorical]
        self.columns: list[str] = [c for part in parts if part for c in part.columns] + (
            self.text.columns if self.text else []) + (self.image.columns if self.image else [])
        self.images_only = self.image is not None and set(self.columns) <= set(self.image.columns)

    def require_columns(self, frame: pd.DataFrame) -> None:
        """Raises InputError naming the columns the rows lack."""
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            raise InputError(f"The rows lack column(s) {missing} that the predictor was trained on. Add them (empty "
                             "values are treated as missing).")

    def __call__(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        """The inputs of ``frame``'s rows in one piece.

        Images are read first and their headers checked (``ImageInputs.check``) only when some row got no image: a
        row with a decoded image has a readable one, so the check would find nothing to report (each image is
        opened once).

        Raises:
            InputError: a column is missing, or no row has a readable image though some hold images (images only).
        """
        feeds = self.features(frame)
        if self.image is not None:
            feeds.update(self.image(frame))
            if not feeds["image_mask"].any(axis=1).all():
                self.image.check(frame, images_only=self.images_only)
        return feeds

    def features(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        """The inputs of every modality but images, for all rows at once (numpy over whole columns).

        Raises:
            InputError: a column is missing.
        """
        self.require_columns(frame)
        feeds: dict[str, np.ndarray] = {}
        if self.numerical is not None:
            feeds["numerical"] = self.numerical.transform(frame)
        if self.categorical is not None:
            feeds["categorical"] = self.categorical.transform(frame)
        if self.text is not None:
            feeds.update(self.text(frame))
        return feeds

    def chunks(self, frame: pd.DataFrame, size: int) -> Iterator[tuple[np.ndarray, dict[str, np.ndarray]]]:
        """The inputs of ``frame`` in chunks of at most ``size`` rows, each with the positions of its rows.

        Table and text inputs are made for ``BLOCK_ROWS`` rows at once (a large call's memory stays that of one
        block), images chunk by chunk. With text, a block's rows go by their token count (shortest first), so a
        chunk is padded to its own longest row as the text rules say (``automm.core.base.text``) and no chunk pads
        short rows to a long one; the caller puts the outputs back in row order by the positions. Once the last
        chunk is taken, rows without an image are reported as one call's are (each image is opened once when every
        row has one).

        Raises:
            InputError: a column is missing; or, after the last chunk, no row has a readable image though some
                hold images (images only).
        """
        self.require_columns(frame)
        imageless = False
        for first in range(0, len(frame), BLOCK_ROWS):
            block = frame.iloc[first : first + BLOCK_ROWS]
            whole = self.features(block)
            lengths = whole["text_mask"].sum(axis=1) if "text_mask" in whole else None
            order = np.arange(len(block)) if lengths is None else np.argsort(lengths, kind="stable")
            for start in range(0, len(block), size):
                rows = order[start : start + size]
                feeds = {name: values[rows] for name, values in whole.items()}
                if lengths is not None:
                    width = max(2, int(lengths[rows].max()))
                    feeds["text_ids"], feeds["text_mask"] = feeds["text_ids"][:, :width], feeds["text_mask"][:, :width]
                if self.image is not None:
                    feeds.update(self.image(block.iloc[rows]))
                    imageless = imageless or not feeds["image_mask"].any(axis=1).all()
                yield rows + first, feeds
        if imageless and self.image is not None:
            self.image.check(frame, images_only=self.images_only)
