"""COCO mAP through torchmetrics' MeanAveragePrecision on the pycocotools backend (COCOeval's numbers).

It is an accumulating ``torchmetrics.Metric``: per-process detections are gathered before COCOeval runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torchmetrics import Metric

from .metric_names import MAP_METRICS


class DetectionMetric(Metric):
    """``update(detections, targets)``: per-image dicts (boxes/scores/labels) and ``[n, 5]`` ground truth.

    ``compute()`` gives the metrics ``names`` asks for, in that order (default: every name in ``MAP_METRICS`` plus
    ``map_<class>`` per class name).
    """

    full_state_update = False

    def __init__(self, class_names: list[str], names: list[str] | None = None):
        super().__init__()
        self.names = list(names) if names else None
        from torchmetrics.detection import MeanAveragePrecision

        self.class_names = class_names
        self.map = MeanAveragePrecision(box_format="xyxy", iou_type="bbox", class_metrics=True,
                                        backend="pycocotools")

    def update(self, detections: list[dict[str, Any]], targets: list[np.ndarray]) -> None:
        self.map.update([_tensors(d) for d in detections], [_ground_truth(t) for t in targets])

    def compute(self) -> dict[str, float]:
        found = self.map.compute()
        scores = {name: float(found[name]) for name in MAP_METRICS}
        classes = found["classes"].reshape(-1).tolist()
        per_class = found["map_per_class"].reshape(-1).tolist()
        for index, value in zip(classes, per_class):
            if 0 <= index < len(self.class_names):
                scores[f"map_{self.class_names[index]}"] = float(value)
        return pick(scores, self.names)

    def reset(self) -> None:
        super().reset()
        self.map.reset()


def _tensors(detections: dict[str, Any]) -> dict[str, torch.Tensor]:
    return {"boxes": torch.as_tensor(detections["boxes"], dtype=torch.float32).reshape(-1, 4),
            "scores": torch.as_tensor(detections["scores"], dtype=torch.float32).reshape(-1),
            "labels": torch.as_tensor(detections["labels"], dtype=torch.long).reshape(-1)}


def _ground_truth(target: np.ndarray) -> dict[str, torch.Tensor]:
    target = torch.as_tensor(np.asarray(target, dtype=np.float32)).reshape(-1, 5)
    return {"boxes": target[:, :4], "labels": target[:, 4].long()}


def score_detections(detections: list[dict[str, Any]], targets: np.ndarray, class_names: list[str],
                     names: list[str] | None) -> dict[str, float]:
    """COCO metrics of whole-dataset ``detections`` against ``targets``; ``names`` picks some (default: all)."""
    metric = DetectionMetric(class_names, names)
    metric.update(detections, list(targets))
    return metric.compute()


def pick(found: dict[str, float], names: list[str] | None) -> dict[str, float]:
    """The metrics ``names`` asks for, in that order; an unknown name is refused listing the known ones."""
    if not names:
        return found
    from automm.core.errors import ConfigError
    from automm.core.plugin import did_you_mean

    unknown = [n for n in names if n not in found]
    if unknown:
        raise ConfigError(f"Unknown detection metric(s) {unknown}.{did_you_mean(unknown[0], found)} "
                          f"Available: {list(found)}.")
    return {n: found[n] for n in names}
