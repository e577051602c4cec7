"""Detections with numpy: boxes from the letterboxed input's pixels back to the original image's, and the table a
detector answers with (``image``, ``bboxes`` best first), for the torch predictor and the ONNX runtime alike."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from automm.core.errors import ConfigError

from .decoders import Decoder
from .registry import DECODERS

BBOX_FORMATS = ("xyxy", "xywh")


def letterbox_scale(size: Any, input_size: int) -> np.float32:
    """Input pixels per original pixel of a ``size`` = (H, W) image letterboxed to ``input_size``, in float32."""
    return np.float32(input_size / max(int(size[0]), int(size[1])))


def to_original(detections: dict[str, np.ndarray], scale: Any, size: Any) -> dict[str, np.ndarray]:
    """Boxes (input pixels) divided by the letterbox ``scale`` and clipped to the ``size`` = (H, W) image; scores
    and labels unchanged."""
    boxes = np.asarray(detections["boxes"])
    height, width = int(size[0]), int(size[1])
    limits = np.asarray([width, height, width, height], dtype=boxes.dtype)
    original = np.minimum(np.maximum(boxes / np.asarray(scale, dtype=boxes.dtype), 0), limits)
    return {"boxes": original, "scores": detections["scores"], "labels": detections["labels"]}


def box_values(box: np.ndarray, bbox_format: str) -> list[float]:
    """One box as rounded floats: ``[x1, y1, x2, y2]`` ("xyxy") or ``[x, y, width, height]`` ("xywh")."""
    x1, y1, x2, y2 = (round(float(v), 2) for v in box)
    return [x1, y1, x2, y2] if bbox_format == "xyxy" else [x1, y1, round(x2 - x1, 2), round(y2 - y1, 2)]


def detections_table(detections: list[dict[str, np.ndarray]], rows: pd.DataFrame, image_column: str,
                     classes: list[str], bbox_format: str = "xyxy") -> pd.DataFrame:
    """One row per image: ``image`` and ``bboxes``, a list of ``{"class", "score", "bbox"}`` best first."""
    if bbox_format not in BBOX_FORMATS:
        raise ConfigError(f"bbox_format must be one of {BBOX_FORMATS}, got {bbox_format!r}.")
    boxes = [[{"class": classes[int(label)], "score": float(score), "bbox": box_values(box, bbox_format)}
              for box, score, label in zip(d["boxes"], d["scores"], d["labels"])] for d in detections]
    return pd.DataFrame({image_column: rows[image_column].to_numpy(), "bboxes": boxes}, index=rows.index)


@DECODERS.register("boxes")
class BoxesDecoder(Decoder):
    """Per-image detections (original pixels) -> the detections table, named by the task's classes."""

    name = "boxes"
    has_proba = False
    needs_rows = True  # the table repeats each row's image cell

    def __init__(self, classes: list[str], image_column: str):
        self.classes, self.image_column = [str(c) for c in classes], str(image_column)

    def params(self) -> dict[str, Any]:
        return {"classes": self.classes, "image_column": self.image_column}

    def predict(self, outputs: list[dict[str, np.ndarray]], rows: pd.DataFrame, bbox_format: str = "xyxy",
                ) -> pd.DataFrame:
        """One row per image: ``image`` and ``bboxes`` (boxes in ``bbox_format``)."""
        return detections_table(outputs, rows, self.image_column, self.classes, bbox_format)
