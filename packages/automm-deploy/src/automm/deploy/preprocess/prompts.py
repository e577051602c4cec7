"""Segment Anything's point / box prompt cells -> per-row ``[m, 3]`` ``(x, y, label)`` prompts in the letterboxed
input's pixels, as processors.json's prompt rule says (automm-segment's ``prompts.py``, with numpy only).

Cells are in the original image's pixels: a point cell ``[[x, y], ...]`` or ``[[x, y, label], ...]`` (label 1
foreground, 0 background; one ``[x, y]`` alone is one point), a box cell one ``[x1, y1, x2, y2]``; either may be
a JSON string; an empty cell, None or NaN is no prompt. A row's prompts are its points, then the box as two
corners (labels ``TOP_LEFT``, ``BOTTOM_RIGHT``) or one ``PAD`` entry.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DeployError, InputError

PAD, BACKGROUND, FOREGROUND, TOP_LEFT, BOTTOM_RIGHT = -1, 0, 1, 2, 3
# The prompt rule this runtime implements, as automm-segment writes it in processors.json's recipe.
RULE = ("point_column / box_column cells (JSON lists, original pixels) -> per row [m, 3] (x, y, label): points "
        "(label 1 foreground, 0 background), then the box as corners labelled 2 and 3, or one padding entry labelled "
        "-1; coordinates times (resized width / width, resized height / height); the network runs rows with the "
        "same count together (padding changes SAM's masks)")
_POINT_HINT = "A point cell is [[x, y], ...] or [[x, y, label], ...] (label 1 foreground, 0 background) in pixels."
_BOX_HINT = "A box cell is one [x1, y1, x2, y2] in pixels with x2 > x1 and y2 > y1."


class PromptInputs:
    """The prompt columns of processors.json -> each row's prompts, checked and scaled to the letterboxed input."""

    def __init__(self, recipe: dict[str, Any]):
        if recipe.get("recipe", {}).get("prompts") != RULE:
            raise DeployError("processors.json's prompt rule is not the one this automm-deploy implements (a "
                              "predictor saved by another automm-segment: upgrade automm-deploy, or export again).")
        self.point_column, self.box_column = str(recipe.get("point_column") or ""), str(recipe.get("box_column") or "")
        self.columns = [c for c in (self.point_column, self.box_column) if c]

    def parse(self, frame: pd.DataFrame) -> list[np.ndarray]:
        """Each row's ``[m, 3]`` float32 prompts in its original image's pixels.

        Raises:
            InputError: a cell that is not a prompt, naming its row and column.
        """
        rows = []
        for position, row in enumerate(frame.index):
            points = parse_points(frame[self.point_column].iloc[position], row, self.point_column) \
                if self.point_column else np.zeros((0, 3), np.float32)
            box = parse_box(frame[self.box_column].iloc[position], row, self.box_column) if self.box_column else None
            rows.append(row_prompts(points, box))
        return rows

    def scale(self, prompts: Sequence[np.ndarray], index: pd.Index, sizes: np.ndarray, valid: np.ndarray,
              ) -> list[np.ndarray]:
        """``prompts`` (original pixels) moved onto each row's letterboxed image (``valid`` of ``sizes``).

        Raises:
            InputError: a prompt off its image, naming the row and the prompt columns.
        """
        scaled = []
        for row, prompt, (height, width), (new_height, new_width) in zip(index, prompts, sizes, valid):
            check_inside(prompt, int(height), int(width), row, self.columns)
            prompt = prompt.copy()
            prompt[:, :2] *= np.asarray([new_width / width, new_height / height], np.float32)
            scaled.append(prompt)
        return scaled


def _value(cell: Any, row: Any, column: str, hint: str) -> Any:
    """The cell as Python lists, or None when it holds no prompt."""
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return None
    if isinstance(cell, str):
        if not cell.strip():
            return None
        try:
            cell = json.loads(cell)
        except json.JSONDecodeError:
            raise InputError(f"Row {row!r}, column {column!r}: {cell[:60]!r} is not JSON. {hint}") from None
    if isinstance(cell, np.ndarray):
        cell = cell.tolist()
    if isinstance(cell, (list, tuple)) and len(cell) == 0:
        return None
    return cell


def _numbers(values: Any, length: tuple[int, ...], row: Any, column: str, hint: str) -> list[float]:
    if not isinstance(values, (list, tuple)) or len(values) not in length:
        raise InputError(f"Row {row!r}, column {column!r}: {values!r} is not a prompt. {hint}")
    try:
        numbers = [float(v) for v in values]
    except (TypeError, ValueError):
        raise InputError(f"Row {row!r}, column {column!r}: {values!r} holds a value that is not a number. "
                         f"{hint}") from None
    if not all(math.isfinite(v) for v in numbers):
        raise InputError(f"Row {row!r}, column {column!r}: {values!r} holds NaN or infinity. {hint}")
    return numbers


def parse_points(cell: Any, row: Any, column: str) -> np.ndarray:
    """A point cell -> ``[n, 3]`` float32 ``(x, y, label)``; ``n = 0`` for an empty cell."""
    value = _value(cell, row, column, _POINT_HINT)
    if value is None:
        return np.zeros((0, 3), np.float32)
    if isinstance(value, (list, tuple)) and value and not isinstance(value[0], (list, tuple)):
        value = [value]  # a single [x, y]
    if not isinstance(value, (list, tuple)):
        raise InputError(f"Row {row!r}, column {column!r}: {value!r} is not a list of points. {_POINT_HINT}")
    points = [_numbers(point, (2, 3), row, column, _POINT_HINT) for point in value]
    points = [p if len(p) == 3 else [*p, FOREGROUND] for p in points]
    if any(p[2] not in (BACKGROUND, FOREGROUND) for p in points):
        raise InputError(f"Row {row!r}, column {column!r}: point labels must be 1 (foreground) or 0 (background), "
                         f"got {[p[2] for p in points]}.")
    return np.asarray(points, np.float32)


def parse_box(cell: Any, row: Any, column: str) -> np.ndarray | None:
    """A box cell -> ``[4]`` float32 ``x1, y1, x2, y2``, or None for an empty cell."""
    value = _value(cell, row, column, _BOX_HINT)
    if value is None:
        return None
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple)):
        if len(value) > 1:
            raise InputError(f"Row {row!r}, column {column!r} holds {len(value)} boxes; SAM segments one object per "
                             "box. Put each box on its own row (repeating the image), then combine the masks.")
        value = value[0]
    box = _numbers(value, (4,), row, column, _BOX_HINT)
    if not (box[2] > box[0] and box[3] > box[1]):
        raise InputError(f"Row {row!r}, column {column!r}: box {box} has no area. {_BOX_HINT}")
    return np.asarray(box, np.float32)


def row_prompts(points: np.ndarray, box: np.ndarray | None) -> np.ndarray:
    """One row's ``[m, 3]`` prompts: points, then the box corners or one padding entry."""
    if box is None:
        tail = np.asarray([[0, 0, PAD]], np.float32)
    else:
        tail = np.asarray([[box[0], box[1], TOP_LEFT], [box[2], box[3], BOTTOM_RIGHT]], np.float32)
    return np.concatenate([points, tail])


def check_inside(prompts: np.ndarray, height: int, width: int, row: Any, columns: Sequence[str]) -> None:
    """Every prompt lies on the ``width x height`` image (pixels of the original image, not 0..1 fractions)."""
    used = prompts[prompts[:, 2] != PAD]
    outside = (used[:, 0] < 0) | (used[:, 0] > width) | (used[:, 1] < 0) | (used[:, 1] > height)
    if outside.any():
        raise InputError(f"Row {row!r}: prompt coordinates {used[outside, :2].tolist()} in {list(columns)} lie "
                         f"outside the {width}x{height} px image. Give them in the original image's pixels.")
