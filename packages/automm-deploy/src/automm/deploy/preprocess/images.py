"""Image columns -> normalised pixel slots, with ``automm.core.base.images`` (the torch predictor's rules).

A call of many rows decodes and resizes them on a thread pool (Pillow releases the GIL while it decodes and
resizes), one worker per usable CPU; the answer, and the first error, are those of reading the rows in order.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from PIL import Image

from automm.core.base.images import check_image_rows, pack_slots, prediction_pixels, row_images
from automm.core.base.tabular import column_values

from .rules import require_rules

POOL_ROWS = 8  # a call of at least this many rows reads its images on a thread pool
T = TypeVar("T")


def usable_cpus() -> int:
    """The CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def in_order(work: Callable[[Any], T], items: list[Any], threads: int) -> list[T]:
    """``[work(item) for item in items]`` on ``threads`` threads (in the caller's thread when 1), in item order;
    the first item's error in order is raised, as the loop would.

    The whole pool runs inside one ``catch_warnings`` that turns Pillow's DecompressionBombWarning into an error:
    ``open_image``'s own ``catch_warnings`` is not thread-safe, and the outer one keeps the filter in force while
    workers interleave and restores the caller's filters afterwards.
    """
    if threads <= 1 or len(items) <= 1:
        return [work(item) for item in items]
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with ThreadPoolExecutor(min(threads, len(items))) as pool:
            return list(pool.map(work, items))


def _parts(count: int, pieces: int) -> list[slice]:
    """``pieces`` contiguous slices covering ``range(count)`` (one task per thread: a task per row costs more than
    a small image)."""
    bounds = [count * piece // pieces for piece in range(pieces + 1)]
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


def _cells(frame: pd.DataFrame, column: str) -> np.ndarray:
    """``frame[column].to_numpy()`` without building the Series."""
    values = column_values(frame, column)
    return values if isinstance(values, np.ndarray) else values.to_numpy()


class ImageInputs:
    """Pixels ``[rows, slots, 3, size, size]`` and their mask ``[rows, slots]``; ``slots`` is the most images any
    row of the call has (at least 1, at most ``max_images_per_row``): the graph's slot axis is dynamic.

    A cell may hold a path, bytes, base64 (optionally a data: URI), a PIL image or a pixel array, as in the torch
    predictor. With ``allow_paths=False`` (a server) image cells must be base64 (or bytes) and a bad one is an
    InputError instead of a skipped image, so a request never reads the server's files. ``threads``: the pool's
    workers for calls of at least ``POOL_ROWS`` rows (default: the usable CPUs).
    """

    def __init__(self, recipe: dict[str, Any], allow_paths: bool = True, threads: int | None = None):
        require_rules("image", recipe)
        self.columns, self.kinds = list(recipe["columns"]), list(recipe["kinds"])
        self.size, self.max_slots = int(recipe["size"]), int(recipe["max_images_per_row"])
        self.draft = int(recipe["draft_size"])
        self.pixels = prediction_pixels(self.size, recipe["mean"], recipe["std"])
        self.allow_paths = allow_paths
        self.threads = threads or usable_cpus()

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
        cells = [_cells(frame, column) for column in self.columns]
        labels = frame.index.tolist()
        threads = self.threads if len(frame) >= POOL_ROWS else 1

        def read(part: slice) -> list[list[Image.Image]]:
            return [row_images([values[position] for values in cells], self.kinds, self.max_slots, self.draft,
                               self.allow_paths, [f"Column {column!r}, row {labels[position]!r}"
                                                  for column in self.columns])
                    for position in range(len(frame))[part]]

        parts = _parts(len(frame), threads)
        rows = [images for found in in_order(read, parts, threads) for images in found]
        slots = max([1, *(len(images) for images in rows)])
        packed = in_order(lambda part: pack_slots(rows[part], slots, self.size, self.pixels), parts, threads)
        pixels, mask = (packed[0] if len(packed) == 1 else
                        (np.concatenate([p for p, _ in packed]), np.concatenate([m for _, m in packed])))
        return {"image_pixels": pixels, "image_mask": mask}
