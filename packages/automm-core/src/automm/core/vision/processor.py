"""Letterboxed batches from one image column, with hooks for the task's target (boxes, masks, prompts).

Prediction reads each image already letterboxed (PIL's resize, what a runtime without torch redoes from
processors.json's recipe). Training with ``augment`` flips the original image at random, resizes it by the
letterbox scale times a factor drawn from ``scale_jitter``, and keeps an ``S x S`` window of it (the top-left one,
or a random one when ``random_window``). A task moves its own target the same way in ``transform_target``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np
import pandas as pd
import torch

from ..base.rules import check_rule_version, versioned
from ..data.letterbox import letterbox_scale, read_letterboxed, read_pixels, resize_pixels, scaled_size
from .batch import LetterboxBatch

BatchT = TypeVar("BatchT", bound=LetterboxBatch)
DEFAULT_JITTER = (0.75, 1.25)


@dataclass(frozen=True)
class Placement:
    """Where one row's original ``height x width`` image went: flipped or not, resized to ``size`` (height,
    width), then cut at ``offset`` (left, top) to the input; ``augmented`` for a training draw."""

    height: int
    width: int
    size: tuple[int, int]
    flipped: bool = False
    offset: tuple[int, int] = (0, 0)
    augmented: bool = False

    @property
    def scale(self) -> tuple[float, float]:
        """(x, y) resized pixels per original pixel."""
        return self.size[1] / self.width, self.size[0] / self.height


@dataclass(frozen=True)
class LetterboxProcessor(ABC, Generic[BatchT]):
    """Reads one image column; ``image_size`` is ``S``; ``scale_jitter`` the training resize range.

    A subclass sets ``kind`` and implements the hooks ``load_target`` (a row's target in original pixels),
    ``transform_target`` (that target moved by a ``Placement``) and ``make_batch``.
    """

    kind: ClassVar[str] = ""
    random_window: ClassVar[bool] = False  # training: a random S x S window of a larger image (else top-left)
    column: str
    image_size: int
    augment: bool = True
    scale_jitter: tuple[float, float] = DEFAULT_JITTER
    flip: bool = True

    @property
    def columns(self) -> list[str]:
        return [self.column]

    def collate(self, rows: pd.DataFrame, targets: np.ndarray | None = None, train: bool = False) -> BatchT:
        size, count = self.image_size, len(rows)
        images = torch.zeros(count, 3, size, size)
        sizes, valid = torch.zeros(count, 2, dtype=torch.long), torch.zeros(count, 2, dtype=torch.long)
        augment = train and self.augment and targets is not None
        loaded, placed = [], []
        for i, (row, path) in enumerate(rows[self.column].items()):
            if augment:
                pixels = read_pixels(path, row)
                height, width = pixels.shape[-2:]
            else:  # already letterboxed
                pixels, (height, width) = read_letterboxed(path, size, row)
            sizes[i] = torch.tensor([height, width])
            loaded.append(self.load_target(rows, i, path, None if targets is None else targets[i], (height, width)))
            pixels, placement = self._place(pixels, height, width, augment)
            valid[i] = torch.tensor(pixels.shape[-2:])
            images[i, :, : pixels.shape[1], : pixels.shape[2]] = pixels
            placed.append(self.transform_target(loaded[-1], placement))
        return self.make_batch(LetterboxBatch(images, sizes, valid), loaded, placed, targets is not None, train)

    def _place(self, pixels: torch.Tensor, height: int, width: int, augment: bool,
               ) -> tuple[torch.Tensor, Placement]:
        """The row's input pixels (at most ``S x S``) and where they come from."""
        if not augment:
            return pixels, Placement(height, width, (pixels.shape[-2], pixels.shape[-1]))
        flipped = self.flip and bool(torch.rand(()) < 0.5)
        if flipped:
            pixels = pixels.flip(-1)
        low, high = self.scale_jitter
        scale = letterbox_scale(height, width, self.image_size) * float(torch.empty(()).uniform_(low, high))
        new = scaled_size(height, width, scale)
        pixels, (left, top) = resize_pixels(pixels, new), self._window(new)
        window = pixels[..., top : top + self.image_size, left : left + self.image_size]
        return window, Placement(height, width, new, flipped, (left, top), True)

    def _window(self, size: tuple[int, int]) -> tuple[int, int]:
        """(left, top) of the training window in an image resized to ``size``."""
        if not self.random_window:
            return 0, 0
        top = int(torch.randint(0, max(1, size[0] - self.image_size + 1), ()))
        left = int(torch.randint(0, max(1, size[1] - self.image_size + 1), ()))
        return left, top

    def place_label(self, label: torch.Tensor, placement: Placement) -> torch.Tensor:
        """A ``[C, H, W]`` label map of the original image moved like its pixels (nearest-neighbour resize)."""
        if placement.flipped:
            label = label.flip(-1)
        label = resize_pixels(label, placement.size, "nearest")
        left, top = placement.offset
        return label[..., top : top + self.image_size, left : left + self.image_size]

    # ------------------------------------------------------------------ hooks of the task
    @abstractmethod
    def load_target(self, rows: pd.DataFrame, position: int, path: Any, target: Any, original: tuple[int, int],
                    ) -> Any:
        """Row ``position``'s target (None when predicting) and other inputs, in the original image's pixels."""

    @abstractmethod
    def transform_target(self, loaded: Any, placement: Placement) -> Any:
        """``load_target``'s value moved into the input's pixels."""

    @abstractmethod
    def make_batch(self, letterboxed: LetterboxBatch, loaded: list[Any], placed: list[Any], labelled: bool,
                   train: bool) -> BatchT:
        """The task's batch from the letterboxed images and each row's loaded and placed targets."""

    # ------------------------------------------------------------------ JSON
    def letterbox_json(self) -> dict[str, Any]:
        """The shared part of processors.json."""
        return {"column": self.column, "image_size": self.image_size, "augment": self.augment,
                "scale_jitter": list(self.scale_jitter), "flip": self.flip, **versioned(self.kind)}

    @classmethod
    def letterbox_fields(cls, data: dict[str, Any]) -> dict[str, Any]:
        """The shared fields read back from processors.json, checked."""
        if not (isinstance(data.get("column"), str) and isinstance(data.get("image_size"), int)
                and data["image_size"] >= 32):
            raise ValueError(f"{cls.kind} processors need a column name and an integer image_size >= 32")
        check_rule_version(cls.kind, data)
        jitter = data.get("scale_jitter", DEFAULT_JITTER)
        return {"column": data["column"], "image_size": data["image_size"], "augment": bool(data.get("augment", True)),
                "scale_jitter": (float(jitter[0]), float(jitter[1])), "flip": bool(data.get("flip", True))}

    @classmethod
    def from_json(cls, data: dict[str, Any], text_folder: Path | None = None) -> LetterboxProcessor[BatchT]:
        return cls(**cls.letterbox_fields(data))
