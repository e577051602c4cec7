"""Detections out: the AutoGluon-MM table (image, bboxes), COCO results, saved files."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from automm.core.errors import ConfigError

BBOX_FORMATS = ("xyxy", "xywh")


def detections_table(detections: list[dict[str, np.ndarray]], rows: pd.DataFrame, image_column: str,
                     classes: list[str], bbox_format: str = "xyxy") -> pd.DataFrame:
    """One row per image: ``image`` and ``bboxes``, a list of ``{"class", "score", "bbox"}`` best first."""
    if bbox_format not in BBOX_FORMATS:
        raise ConfigError(f"bbox_format must be one of {BBOX_FORMATS}, got {bbox_format!r}.")
    boxes = [[{"class": classes[int(label)], "score": float(score), "bbox": _box(box, bbox_format)}
              for box, score, label in zip(d["boxes"], d["scores"], d["labels"])] for d in detections]
    return pd.DataFrame({image_column: rows[image_column].to_numpy(), "bboxes": boxes}, index=rows.index)


def coco_results(detections: list[dict[str, np.ndarray]], image_ids: list[Any], category_ids: list[int],
                 ) -> list[dict[str, Any]]:
    """COCO results entries: ``image_id``, ``category_id``, ``bbox`` (x, y, width, height), ``score``."""
    return [{"image_id": image_id, "category_id": int(category_ids[int(label)]), "bbox": _box(box, "xywh"),
             "score": float(score)}
            for image_id, d in zip(image_ids, detections)
            for box, score, label in zip(d["boxes"], d["scores"], d["labels"])]


def save_json(data: Any, path: str | Path) -> Path:
    """Write ``data`` as JSON to ``path`` atomically (a temporary file renamed into place)."""
    path = Path(path)
    if path.suffix.lower() != ".json":
        raise ConfigError(f"save_results must be a .json file path, got {str(path)!r}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(data), encoding="utf-8")
    os.replace(partial, path)
    return path


def _box(box: np.ndarray, bbox_format: str) -> list[float]:
    x1, y1, x2, y2 = (round(float(v), 2) for v in box)
    return [x1, y1, x2, y2] if bbox_format == "xyxy" else [x1, y1, round(x2 - x1, 2), round(y2 - y1, 2)]
