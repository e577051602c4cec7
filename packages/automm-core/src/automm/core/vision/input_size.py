"""The side of the square letterboxed input, chosen from the training images (``task.image_size`` not given).

A preset's ``task.image_size`` (detection 416 or 640, segmentation 384 or SAM's 1024) is a cap, not a target:
letterboxing 256 px images up to 416 px spends 2.6x the pixels (and the time) on interpolated detail. The rule
(``choose_input_size``):

1. read the size of at most ``MAX_SAMPLED`` training images (a fixed random sample), from their file headers only;
2. take the ``QUANTILE`` (90 %) of their longer sides, so the input covers most images at their own resolution;
3. round it up to a multiple of ``STEP`` (32: every backbone's coarsest stride);
4. keep it within [the task's ``min_image_size``, the preset's size].

The user's own ``task.image_size`` always wins, even above the preset's (``image_size_given``). A saved predictor
keeps the size it was fitted at: its processors store it, and predicting never chooses again.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..config import flatten

QUANTILE = 0.9  # the share of training images whose longer side the input covers
MAX_SAMPLED = 256  # image headers read at most (a fixed random sample of a larger set)
STEP = 32  # the input side is a multiple of this
KEY = "task.image_size"


@dataclass(frozen=True)
class InputSizeChoice:
    """How the input size was chosen: ``size`` px, covering ``quantile`` of the ``images`` read, whose longer side
    is at most ``covered`` px; ``preset`` is the configured size it could not exceed."""

    size: int
    preset: int
    covered: int
    images: int
    quantile: float = QUANTILE

    def describe(self) -> str:
        """E.g. "input size 256 px chosen from the training images (90% are ≤ 250 px; preset 416)"."""
        return (f"input size {self.size} px chosen from the training images ({self.quantile:.0%} are ≤ "
                f"{self.covered} px; preset {self.preset})")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> InputSizeChoice:
        return cls(int(data["size"]), int(data["preset"]), int(data["covered"]), int(data["images"]),
                   float(data.get("quantile", QUANTILE)))


def choose_input_size(paths: Sequence[Any], preset: int, minimum: int) -> InputSizeChoice | None:
    """The letterboxed input side for images at ``paths``: the 90 % quantile of their longer sides, rounded up to a
    multiple of 32, at least ``minimum`` and at most ``preset``.

    Only file headers are read (PIL's ``Image.open(...).size``), of at most ``MAX_SAMPLED`` images. EXIF rotation
    swaps width and height, so the longer side, all the rule reads, is the same either way. Files that cannot be
    read are skipped (the task's input checks name them).

    Returns:
        The choice, or None when no image could be read (then the preset's size applies).

    Example:
        >>> choose_input_size(train["image"].tolist(), preset=416, minimum=64).size  # 256 x 256 images
        256
    """
    sides = longer_sides(paths)
    if not sides:
        return None
    covered = int(np.quantile(sides, QUANTILE, method="inverted_cdf"))
    size = max(_round_up(minimum), min(preset, _round_up(covered)))
    return InputSizeChoice(size, preset, covered, len(sides))


def longer_sides(paths: Sequence[Any], limit: int = MAX_SAMPLED) -> list[int]:
    """max(width, height) of each readable image among a fixed random sample of ``limit`` of ``paths``."""
    paths = list(paths)
    positions: Sequence[int] = range(len(paths))
    if len(paths) > limit:
        positions = sorted(np.random.default_rng(0).choice(len(paths), size=limit, replace=False).tolist())
    sides = []
    for position in positions:
        try:
            with Image.open(str(paths[position])) as image:
                sides.append(max(image.size))
        except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
            continue
    return sides


def image_size_given(overrides: Mapping[str, Any], section: Any) -> bool:
    """Whether the user's hyperparameters set ``task.image_size``: by that key (dotted or nested, a search space
    too) or by one of the task ``section``'s ``aliases`` / ``value_aliases`` that means it."""
    aliases: Mapping[str, str] = getattr(section, "aliases", {})
    value_aliases: Mapping[tuple[str, Any], tuple[str, Any]] = getattr(section, "value_aliases", {})
    for key, value in flatten(overrides).items():
        with contextlib.suppress(TypeError):  # an unhashable value (a search space) names no value alias
            key = value_aliases.get((key, value), (key, value))[0]
        key = aliases.get(key, key)
        if key == KEY or key.startswith(f"{KEY}."):
            return True
    return False


def _round_up(side: int) -> int:
    return max(STEP, math.ceil(side / STEP) * STEP)
