"""Detection outputs with numpy: a detector graph's boxes (input pixels of the letterboxed image) -> the original
image's pixels -> the table automm-detect's predictor gives (``image``, ``bboxes`` best first)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

BBOX_FORMAT = "xyxy"


def to_original(boxes: np.ndarray, scores: np.ndarray, labels: np.ndarray, size: np.ndarray, input_size: int,
                ) -> dict[str, np.ndarray]:
    """Boxes divided by the letterbox scale (``input_size / max(H, W)``, in float32 as torch keeps it), clipped to
    the ``size`` = (H, W) image."""
    scale = np.float32(input_size / max(int(size[0]), int(size[1])))
    limits = np.asarray([size[1], size[0], size[1], size[0]], np.float32)
    return {"boxes": np.minimum(np.maximum(boxes / scale, 0), limits), "scores": scores, "labels": labels}


class DetectionDecoder:
    """The detections table from per-image boxes, named by the task's classes."""

    has_proba = False
    needs_rows = True  # the table repeats each row's image cell

    def __init__(self, task: dict[str, Any], image_column: str):
        self.classes = [str(c) for c in task["classes"]]
        self.image_column = image_column

    def predict(self, outputs: list[dict[str, np.ndarray]], rows: pd.DataFrame) -> pd.DataFrame:
        """One row per image: ``image`` and ``bboxes``, a list of ``{"class", "score", "bbox"}`` (x1, y1, x2, y2)."""
        bboxes = [[{"class": self.classes[int(label)], "score": float(score),
                    "bbox": [round(float(v), 2) for v in box]}
                   for box, score, label in zip(d["boxes"], d["scores"], d["labels"])] for d in outputs]
        return pd.DataFrame({self.image_column: rows[self.image_column].to_numpy(), "bboxes": bboxes},
                            index=rows.index)
