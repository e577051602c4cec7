"""Detections out: the AutoGluon-MM table (image, bboxes), COCO results, saved files."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from automm.core.base.boxes import box_values
from automm.core.errors import ConfigError


def coco_results(detections: list[dict[str, np.ndarray]], image_ids: list[Any], category_ids: list[int],
                 ) -> list[dict[str, Any]]:
    """COCO results entries: ``image_id``, ``category_id``, ``bbox`` (x, y, width, height), ``score``."""
    return [{"image_id": image_id, "category_id": int(category_ids[int(label)]), "bbox": box_values(box, "xywh"),
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


def save_table(table: pd.DataFrame, path: str | Path) -> Path:
    """Write the ``image`` + ``bboxes`` table as CSV to ``path`` atomically (AutoGluon-MM's ``result.txt``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    table.to_csv(partial, index=False)
    os.replace(partial, path)
    return path
