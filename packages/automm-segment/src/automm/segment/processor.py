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
from automm.core.plugin import PROCESSOR_KINDS
from automm.core.vision.batch import LetterboxBatch
from automm.core.vision.processor import LetterboxProcessor, Placement

from .masks import MaskCodec
from .prompts import batch_prompts, check_inside, read_prompts, to_input, transform

IGNORE = -100  # target value of padding pixels: no loss there


@dataclass
class SegmentationBatch(LetterboxBatch):
    """Letterboxed images plus what maps outputs back to each original image (``valid``, ``sizes``).

    ``target`` is ``[B, S, S]`` long class indices (``IGNORE`` on padding) when training, the original-size
    ``[H, W]`` class-index masks when evaluating, None when predicting. ``prompts`` (SAM's point and box prompts,
    ``[B, N, 3]`` ``(x, y, label)`` in the input's pixels, see ``prompts.py``) is None without prompt columns.
    """

    prompts: torch.Tensor | None = None


@dataclass(frozen=True)
class _Row:
    """One row's mask (None when predicting) and prompts (None without prompt columns)."""

    mask: Any
    prompts: np.ndarray | None


@PROCESSOR_KINDS.register("segmentation")
@dataclass(frozen=True, kw_only=True)
class SegmentationProcessor(LetterboxProcessor[SegmentationBatch]):
    """Reads one image column (and optional point / box prompt columns); targets are mask paths decoded by
    ``codec`` (a keyword, as are the prompt columns); ``image_size`` is ``S``."""

    kind: ClassVar[str] = "segmentation"
    random_window: ClassVar[bool] = True
    codec: MaskCodec
    point_column: str = ""
    box_column: str = ""

    @property
    def prompt_columns(self) -> list[str]:
        return [c for c in (self.point_column, self.box_column) if c]

    @property
    def columns(self) -> list[str]:
        return [self.column, *self.prompt_columns]

    def load_target(self, rows: pd.DataFrame, position: int, path: Any, target: Any, original: tuple[int, int],
                    ) -> _Row:
        """The row's prompts (checked inside the image) and its decoded mask (checked to have the image's size)."""
        row, (height, width) = rows.index[position], original
        prompts = self._prompts(rows, position, row, height, width)
        if target is None:
            return _Row(None, prompts)
        mask = self.codec.decode(target, row)
        if mask.shape != (height, width):
            raise InputError(f"Row {row!r}: mask {str(target)!r} is {mask.shape[1]}x{mask.shape[0]} px but image "
                             f"{str(path)!r} is {width}x{height} px. A mask must have its image's size.")
        return _Row(mask, prompts)

    def transform_target(self, loaded: _Row, placement: Placement) -> _Row:
        """The mask as a ``[1, h, w]`` label map and the prompts, in the input's pixels."""
        mask = loaded.mask
        label = None if mask is None else self.place_label(torch.from_numpy(mask.astype(np.int64))[None], placement)
        prompts = loaded.prompts
        if prompts is not None and placement.augmented:
            prompts = transform(prompts, placement.width if placement.flipped else None, placement.scale,
                                placement.offset, self.image_size)
        elif prompts is not None:
            prompts = to_input(prompts, (placement.height, placement.width), placement.size)
        return _Row(label, prompts)

    def make_batch(self, letterboxed: LetterboxBatch, loaded: list[_Row], placed: list[_Row], labelled: bool,
                   train: bool) -> SegmentationBatch:
        target: Any = [row.mask for row in loaded] if labelled else None
        if train:
            size = self.image_size
            target = torch.full((len(placed), size, size), IGNORE, dtype=torch.long)
            for i, row in enumerate(placed):
                if row.mask is not None:
                    target[i, : row.mask.shape[1], : row.mask.shape[2]] = row.mask[0]
        prompts = [row.prompts for row in placed if row.prompts is not None]
        return SegmentationBatch(letterboxed.images, letterboxed.sizes, letterboxed.valid, target,
                                 batch_prompts(prompts) if prompts else None)

    def _prompts(self, rows: pd.DataFrame, position: int, row: Any, height: int, width: int) -> np.ndarray | None:
        """The row's ``[m, 3]`` prompts in the original image's pixels, or None without prompt columns."""
        if not self.prompt_columns:
            return None
        prompts = read_prompts(rows[self.point_column].iloc[position] if self.point_column else None,
                               rows[self.box_column].iloc[position] if self.box_column else None, row,
                               self.point_column, self.box_column)
        check_inside(prompts, height, width, row, self.prompt_columns)
        return prompts

    def to_json(self) -> dict[str, Any]:
        return {**self.letterbox_json(), "codec": self.codec.to_json(), "point_column": self.point_column,
                "box_column": self.box_column}

    @classmethod
    def from_json(cls, data: dict[str, Any], text_folder: Path | None = None) -> SegmentationProcessor:
        fields = cls.letterbox_fields(data)
        if not isinstance(data.get("codec"), dict):
            raise ValueError("segmentation processors need a codec")
        point_column, box_column = data.get("point_column", ""), data.get("box_column", "")
        if not (isinstance(point_column, str) and isinstance(box_column, str)):
            raise ValueError("point_column and box_column must be column names (or empty)")
        return cls(**fields, codec=MaskCodec.from_json(data["codec"]), point_column=point_column,
                   box_column=box_column)

