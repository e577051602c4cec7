"""Point and box prompts for Segment Anything, read from table cells (numpy only; the segmenter and the ONNX
runtime both call these).

Cells, in the original image's pixels (``x`` to the right, ``y`` down, as SAM's predictor takes them):

* a point cell: ``[[x, y], ...]`` foreground points, or ``[[x, y, label], ...]`` with label 1 (foreground) or
  0 (background); one ``[x, y]`` pair alone is one point;
* a box cell: ``[x1, y1, x2, y2]`` (one box per row: SAM segments one object per box).

Both may be JSON strings (as a CSV holds them); an empty cell, None or NaN means no prompt for that row.

A row's prompts are an ``[m, 3]`` array of ``(x, y, label)``: its points, then the box as two corners labelled
``TOP_LEFT`` and ``BOTTOM_RIGHT``, or, without a box, one ``PAD`` entry (as SAM's prompt encoder pads points).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from automm.core.errors import InputError

PAD, BACKGROUND, FOREGROUND, TOP_LEFT, BOTTOM_RIGHT = -1, 0, 1, 2, 3
_POINT_HINT = "A point cell is [[x, y], ...] or [[x, y, label], ...] (label 1 foreground, 0 background) in pixels."
_BOX_HINT = "A box cell is one [x1, y1, x2, y2] in pixels with x2 > x1 and y2 > y1."


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


def transform(prompts: np.ndarray, flip_width: int | None, scale: tuple[float, float], offset: tuple[int, int],
              size: int) -> np.ndarray:
    """Prompts after the image's flip (about ``flip_width``), resize by ``scale`` (x, y) and ``size x size`` crop
    at ``offset`` (left, top): points off the crop and boxes cropped away become padding."""
    out = prompts.copy()
    xy = out[:, :2]
    if flip_width is not None:
        xy[:, 0] = flip_width - 1 - xy[:, 0]
    xy *= np.asarray(scale, np.float32)
    xy -= np.asarray(offset, np.float32)
    labels = out[:, 2]
    points = np.isin(labels, (BACKGROUND, FOREGROUND))
    off = points & ((xy < 0) | (xy > size - 1)).any(axis=1)
    labels[off] = PAD
    corners = np.flatnonzero(np.isin(labels, (TOP_LEFT, BOTTOM_RIGHT)))
    if len(corners) == 2:  # after a flip the corners swap sides: keep top-left / bottom-right
        low = xy[corners].min(axis=0).clip(0, size - 1)
        high = xy[corners].max(axis=0).clip(0, size - 1)
        if (high > low).all():
            xy[corners] = np.stack([low, high])
        else:
            labels[corners] = PAD
    xy[labels == PAD] = 0
    return out


def read_prompts(point_cell: Any, box_cell: Any, row: Any, point_column: str, box_column: str) -> np.ndarray:
    """A row's ``[m, 3]`` prompts from its point and box cells (a column named "" is not read)."""
    points = parse_points(point_cell, row, point_column) if point_column else np.zeros((0, 3), np.float32)
    box = parse_box(box_cell, row, box_column) if box_column else None
    return row_prompts(points, box)


def to_input(prompts: np.ndarray, size: tuple[int, int], resized: tuple[int, int]) -> np.ndarray:
    """``prompts`` of an image of ``size`` (height, width) moved onto its letterboxed resize (``resized``)."""
    out = prompts.copy()
    out[:, :2] *= np.asarray([resized[1] / size[1], resized[0] / size[0]], np.float32)
    return out
