"""The object-detection task: boxes per image in, COCO mAP as the metric, boxes per image out."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from automm.core.building import Built
from automm.core.config import Config
from automm.core.data.column_types import ColumnDecision, ColumnType
from automm.core.errors import ConfigError, InputError
from automm.core.tasks import Task

from .backends.base import DetectorOptions
from .config import DetectConfig
from .ingest import IMAGE_COLUMN, ROIS_COLUMN, read_detection_data
from .metrics import DetectionMetric, score_detections
from .network import DetectorSpec, backend
from .outputs import coco_results, detections_table, save_json
from .processor import DetectionProcessor

logger = logging.getLogger("automm")


class DetectionTask(Task):
    """Classes are names; boxes are ``[x1, y1, x2, y2, class_name]`` per image (``rois``)."""

    # AutoGluon-MM's detection quick start passes sample_data_path= (a COCO file) to fix the class list.
    arguments: ClassVar[tuple[str, ...]] = ("sample_data_path",)
    default_label: ClassVar[str] = ROIS_COLUMN
    zero_shot: ClassVar[bool] = True  # a COCO-pretrained detector (high_quality) predicts before fit
    has_proba: ClassVar[bool] = False
    config_type: ClassVar[type] = DetectConfig
    predict_options: ClassVar[tuple[str, ...]] = ("as_coco", "save_results", "bbox_format")

    def __init__(self, problem_type: str, classes: list[str], category_ids: list[int] | None = None):
        self.problem_type, self.classes = problem_type, list(classes)
        self.category_ids = list(category_ids) if category_ids else list(range(1, len(self.classes) + 1))

    # ------------------------------------------------------------------ data and labels
    @classmethod
    def read_data(cls, data: Any, role: str) -> pd.DataFrame:
        return read_detection_data(data, role)

    @classmethod
    def fit(cls, labels: pd.DataFrame, problem_type: str, arguments: Mapping[str, Any] | None = None,
            ) -> DetectionTask:
        rois = labels[labels.columns[0]]
        sample = (arguments or {}).get("sample_data_path")
        categories = (read_detection_data(sample, "sample_data_path").attrs if sample else labels.attrs).get(
            "categories") or []
        names = [str(name) for _, name in categories] or sorted({str(b[4]) for boxes in rois.dropna() for b in boxes})
        if rois.notna().any() and not any(len(boxes) for boxes in rois.dropna()):
            raise InputError("train_data has no boxes: every image's annotation list is empty. Give at least one "
                             "box ([x1, y1, x2, y2, class_name]) to learn from.")
        ids = [int(cid) for cid, _ in categories] if categories else None
        return cls(problem_type, names, ids)

    def for_zero_shot(self) -> DetectionTask:
        """Before fit the pretrained detector's own classes apply (set in ``build``), not the data's."""
        return DetectionTask(self.problem_type, [])

    @property
    def input_columns(self) -> list[str]:
        return [IMAGE_COLUMN]

    @property
    def output_size(self) -> int:
        return len(self.classes)

    def encode(self, labels: pd.DataFrame) -> np.ndarray:
        """Per image a float32 ``[n, 5]`` array: x1, y1, x2, y2 (original pixels), class index."""
        index = {name: i for i, name in enumerate(self.classes)}
        encoded = np.empty(len(labels), dtype=object)
        for position, (row, boxes) in enumerate(labels[labels.columns[0]].items()):
            encoded[position] = self._encode_row(boxes if isinstance(boxes, list) else [], index, row)
        return encoded

    def _encode_row(self, boxes: list[list[Any]], index: dict[str, int], row: Any) -> np.ndarray:
        kept = []
        for box in boxes:
            name = str(box[4])
            if name not in index:
                raise InputError(f"Row {row!r} has a box of class {name!r}, which was not a class in training "
                                 f"({self.classes[:20]}). Rename it to a known class or fit again with it.")
            try:
                x1, y1, x2, y2 = (float(v) for v in box[:4])
            except (TypeError, ValueError):
                raise InputError(f"Row {row!r} has a box {box!r} whose coordinates are not numbers.") from None
            if not (x2 > x1 and y2 > y1) or not np.isfinite([x1, y1, x2, y2]).all():
                logger.warning("Row %r: box %s has zero or negative width or height; it is ignored.", row, box[:4])
                continue
            kept.append([x1, y1, x2, y2, index[name]])
        return np.asarray(kept, dtype=np.float32).reshape(-1, 5)

    def check_inputs(self, features: pd.DataFrame, role: str) -> None:
        """Every image path is a string naming a file that exists."""
        from pathlib import Path

        for row, path in features[IMAGE_COLUMN].items():
            if not isinstance(path, (str, Path)) or not Path(path).is_file():
                raise InputError(f"{role}: image {path!r} at row {row!r} does not exist. Fix the path (COCO "
                                 "file_names are relative to the JSON file's folder) or remove the row.")

    # ------------------------------------------------------------------ network and training
    def build(self, features: pd.DataFrame, columns: dict[str, ColumnDecision], config: Config) -> Built:
        settings: DetectConfig = config.task
        image = config.model.image  # whether the backbone starts pretrained, and from which weights file
        extra = {k: v for k, v in (("checkpoint", settings.checkpoint), ("weights_path", image.weights_path)) if v}
        options = DetectorOptions(settings.architecture, len(self.classes), settings.image_size, settings.backbone,
                                  image.pretrained, settings.min_score, settings.max_detections, extra)
        detector = backend(settings.backend)
        if not self.classes:  # zero-shot: the pretrained model's own classes
            options = detector.prepare(dataclasses.replace(options, num_classes=1))
            self.classes = detector.pretrained_classes(options) or []
            if not self.classes:
                raise ConfigError(f"The {settings.backend} detector {settings.architecture!r} is not pretrained on "
                                  "a fixed class set, so it cannot predict before fit(). Fit it on annotated images, "
                                  "or use presets='high_quality' (a COCO-pretrained RT-DETR) for zero-shot boxes.")
            self.category_ids = list(range(1, len(self.classes) + 1))
        options = detector.prepare(dataclasses.replace(options, num_classes=len(self.classes)))
        # Only a detector pretrained on these very classes is a model worth keeping over a fit (the fit keeps
        # pretrained weights that score better); a new head starts random.
        self.zero_shot = detector.pretrained_classes(options) == self.classes
        processor = DetectionProcessor(IMAGE_COLUMN, settings.image_size, image.augment,
                                       (settings.scale_jitter_min, settings.scale_jitter_max), settings.flip)
        spec = DetectorSpec(settings.backend, options)
        column = ColumnDecision(IMAGE_COLUMN, ColumnType.IMAGE_PATH, "the detection task's image column")
        return Built(processor, spec, spec.build(None, pretrained=True), None, {IMAGE_COLUMN: column})

    def loss(self, optim: Any, task_config: Any = None):
        return lambda losses, _targets: sum(losses.values())

    def metric(self, names: list[str] | None) -> DetectionMetric:
        return DetectionMetric(self.classes, names)

    @property
    def validation_metric(self) -> tuple[str, bool]:
        return "map", True

    # ------------------------------------------------------------------ outputs
    def predict(self, logits: list[dict[str, np.ndarray]], index: pd.Index) -> pd.Series:
        boxes = detections_table(logits, pd.DataFrame({IMAGE_COLUMN: [""] * len(index)}, index=index), IMAGE_COLUMN,
                                 self.classes)
        return boxes["bboxes"]

    def predict_rows(self, outputs: list[dict[str, np.ndarray]], rows: pd.DataFrame, as_coco: bool = False,
                     save_results: str | None = None, bbox_format: str = "xyxy") -> pd.DataFrame | list[dict]:
        """A table of image + bboxes, or COCO results (``as_coco``); ``save_results`` writes them as JSON."""
        if as_coco:
            image_ids = rows.attrs.get("image_ids") or list(range(len(rows)))
            result: Any = coco_results(outputs, image_ids, self.category_ids)
        else:
            result = detections_table(outputs, rows, IMAGE_COLUMN, self.classes, bbox_format)
        if save_results is not None:
            save_json(result if as_coco else result.to_dict(orient="records"), save_results)
        return result

    def predict_proba(self, logits: Any, index: pd.Index) -> pd.DataFrame:
        raise ConfigError("Object detection has no class probabilities: predict() gives each box with its score.")

    def score(self, logits: list[dict[str, np.ndarray]], targets: np.ndarray, metrics: list[str] | None = None,
              ) -> dict[str, float]:
        return score_detections(logits, targets, self.classes, list(metrics) if metrics else None)

    # ------------------------------------------------------------------ JSON
    def to_json(self) -> dict[str, Any]:
        return {"problem_type": self.problem_type, "classes": self.classes, "category_ids": self.category_ids}

    @classmethod
    def from_json(cls, state: Mapping[str, Any]) -> DetectionTask:
        classes = [str(c) for c in state["classes"]]
        ids = [int(i) for i in state["category_ids"]]
        if len(ids) != len(classes):
            raise ValueError("category_ids must give one id per class")
        return cls(str(state["problem_type"]), classes, ids)

