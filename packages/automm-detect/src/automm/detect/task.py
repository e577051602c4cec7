"""The object-detection task: boxes per image in, COCO mAP as the metric, boxes per image out."""

from __future__ import annotations

import copy
import dataclasses
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from automm.core.base.boxes import BoxesDecoder
from automm.core.errors import ConfigError, InputError
from automm.core.plugin import Built, ColumnDecision, ColumnType, Config, Task
from automm.core.vision.checks import check_image_paths
from automm.core.vision.input_size import InputSizeChoice, choose_input_size, image_size_given

from .backends.base import DetectorOptions
from .classes import class_list
from .config import DetectConfig
from .ingest import IMAGE_COLUMN, ROIS_COLUMN, read_detection_data, resolve_coco_images
from .metric_names import MAP_METRICS
from .network import DetectorSpec, backend
from .outputs import coco_results, save_json, save_table
from .processor import DetectionProcessor
from .training import freeze_layers

if TYPE_CHECKING:
    from .metrics import DetectionMetric

logger = logging.getLogger("automm")


class DetectionTask(Task):
    """Classes are names; boxes are ``[x1, y1, x2, y2, class_name]`` per image (``rois``)."""

    # AutoGluon-MM's constructor arguments: sample_data_path= (a COCO/VOC path or a DataFrame) fixes the class list,
    # classes= gives it, num_classes= its length; all are checked against the training boxes (``fit``).
    arguments: ClassVar[tuple[str, ...]] = ("sample_data_path", "classes", "num_classes")
    default_label = ROIS_COLUMN
    predicts_before_fit: ClassVar[bool] = True  # a COCO-pretrained detector (high_quality) predicts before fit
    has_proba: ClassVar[bool] = False
    metric_names = {"object_detection": MAP_METRICS}
    modalities = {"object_detection": frozenset({"image"})}
    config_type = DetectConfig
    predict_options: ClassVar[tuple[str, ...]] = ("as_coco", "save_results", "result_save_path", "bbox_format",
                                                  "as_pandas")
    predict_context: ClassVar[tuple[str, ...]] = ("predictor_path",)  # save_results=True writes under it
    # Image settings live in the task section; the backbone's pretraining, weights file and augmentation in core's.
    config_sections = (
        "model.image.pretrained", "model.image.weights_path", "model.image.augment", "optim", "env", "distiller",
        "ensemble")
    config_hints = {"model.image.image_size": "task.image_size", "model.image.checkpoint": "task.backbone"}

    # Set by ``configure`` when the user gave no task.image_size: ``build`` chooses it from the training images.
    chooses_input_size: bool = False

    def __init__(self, problem_type: str, classes: list[str], category_ids: list[int] | None = None,
                 keep_pretrained_if_better: bool = False, bbox_format: str = "xyxy", coco_root: str = ""):
        self.problem_type, self.classes = problem_type, list(classes)
        self.category_ids = list(category_ids) if category_ids else list(range(1, len(self.classes) + 1))
        self.keep_pretrained_if_better = keep_pretrained_if_better
        self.bbox_format, self.coco_root = bbox_format, coco_root

    # ------------------------------------------------------------------ data and labels
    @classmethod
    def fit(cls, labels: pd.DataFrame, problem_type: str, arguments: Mapping[str, Any] | None = None,
            ) -> DetectionTask:
        rois = labels[labels.columns[0]]
        if rois.notna().any() and not any(len(boxes) for boxes in rois.dropna()):
            raise InputError("train_data has no boxes: every image's annotation list is empty. Give at least one "
                             "box ([x1, y1, x2, y2, class_name]) to learn from.")
        names, ids = class_list(labels, arguments or {})
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

    @classmethod
    def read_data(cls, data: Any, role: str) -> pd.DataFrame:
        """COCO JSON, Pascal VOC or an ``image`` + ``rois`` table, as that table."""
        return read_detection_data(data, role)

    def check_inputs(self, features: pd.DataFrame, role: str) -> None:
        """Every image path is a string naming a file that exists.

        The image paths of rows read from a COCO file are checked against every folder tried, and with
        ``task.coco_root`` resolved against it here, in place (the rows were read before the config was known).
        """
        resolve_coco_images(features, self.coco_root, role)
        check_image_paths(features, IMAGE_COLUMN, role, "COCO file_names are relative to the JSON's parent folder or "
                          "its own folder, or to hyperparameters={'model.mmdet_image.coco_root': ...}")

    def training_data(self, net: Any, processors: Any, features: pd.DataFrame, targets: np.ndarray, config: Config,
                      ) -> tuple[Any, pd.DataFrame, np.ndarray]:
        """Before training: the parameters under ``task.frozen_layers`` keep their weights."""
        freeze_layers(net, config.task.frozen_layers)
        return processors, features, targets

    # ------------------------------------------------------------------ network and training
    def configure(self, config: Config, overrides: Mapping[str, Any]) -> tuple[DetectionTask, Config]:
        """Unless the user set ``task.image_size``, ``build`` chooses the input size from the training images (at
        most the preset's, ``automm.core.vision.input_size``)."""
        task = copy.copy(self)
        task.chooses_input_size = not image_size_given(overrides, config.task)
        return task, config

    def build(self, features: pd.DataFrame, columns: dict[str, ColumnDecision], config: Config) -> Built:
        settings: DetectConfig = config.task
        image = config.model.image  # whether the backbone starts pretrained, and from which weights file
        extra = {k: v for k, v in (("checkpoint", settings.checkpoint), ("weights_path", image.weights_path)) if v}
        chosen = self._input_size(features, settings)
        options = DetectorOptions(settings.architecture, len(self.classes), chosen.size if chosen else
                                  settings.image_size, settings.backbone, image.pretrained, extra,
                                  min_score=settings.min_score, max_detections=settings.max_detections)
        detector = backend(settings.backend)
        classes, category_ids = self.classes, self.category_ids
        if not classes:  # zero-shot: the pretrained model's own classes
            options = detector.prepare(dataclasses.replace(options, num_classes=1))
            classes = detector.pretrained_classes(options) or []
            if not classes:
                raise ConfigError(f"The {settings.backend} detector {settings.architecture!r} is not pretrained on "
                                  "a fixed class set, so it cannot predict before fit(). Fit it on annotated images, "
                                  "or use presets='high_quality' (a COCO-pretrained RT-DETR) for zero-shot boxes.")
            category_ids = list(range(1, len(classes) + 1))
        options = detector.prepare(dataclasses.replace(options, num_classes=len(classes)))
        # Only a detector pretrained on these very classes is a model worth keeping over a fit (the fit keeps
        # pretrained weights that score better); a new head starts random.
        keep = detector.pretrained_classes(options) == classes
        task = DetectionTask(self.problem_type, classes, category_ids, keep, settings.bbox_format, settings.coco_root)
        processor = DetectionProcessor(IMAGE_COLUMN, options.image_size, image.augment, settings.scale_jitter,
                                       settings.flip)
        spec = DetectorSpec(settings.backend, options, chosen)
        column = ColumnDecision(IMAGE_COLUMN, ColumnType.IMAGE_PATH, "the detection task's image column")
        return Built(processor, spec, spec.build(None, pretrained=True), None, {IMAGE_COLUMN: column}, task)

    def _input_size(self, features: pd.DataFrame, settings: DetectConfig) -> InputSizeChoice | None:
        """The input size chosen from the training images (COCO paths resolved as ``check_inputs`` does), or None:
        the configured one (the user's, or a zero-shot detector's before any training image)."""
        if not (self.chooses_input_size and self.classes and IMAGE_COLUMN in features.columns):
            return None
        images = features[[IMAGE_COLUMN]].copy()
        images.attrs = dict(features.attrs)
        resolve_coco_images(images, settings.coco_root, "train_data")
        return choose_input_size(images[IMAGE_COLUMN].tolist(), settings.image_size, settings.min_image_size)

    def loss(self, optim: Any, task_config: Any = None):
        return lambda losses, _targets: sum(losses.values())

    def metric(self, names: list[str] | None) -> DetectionMetric:
        from .metrics import DetectionMetric  # torchmetrics: imported when a fit or an evaluation needs it

        return DetectionMetric(self.classes, names)

    @property
    def validation_metric(self) -> tuple[str, bool]:
        return "map", True

    def default_metric_names(self) -> list[str]:
        return [*MAP_METRICS, *self.extra_metric_names()]

    def extra_metric_names(self) -> tuple[str, ...]:
        """Each class's mAP: ``map_<class name>``."""
        return tuple(f"map_{name}" for name in self.classes)

    # ------------------------------------------------------------------ outputs
    def decoder_spec(self) -> dict[str, Any]:
        """The boxes decoder (``automm.core.base.boxes.BoxesDecoder``) of these classes."""
        return {"decoder": "boxes", "classes": self.classes, "image_column": IMAGE_COLUMN}

    def predict(self, logits: list[dict[str, np.ndarray]], index: pd.Index) -> pd.Series:
        rows = pd.DataFrame({IMAGE_COLUMN: [""] * len(index)}, index=index)
        return BoxesDecoder(self.classes, IMAGE_COLUMN).predict(logits, rows)["bboxes"]

    def predict_rows(self, outputs: list[dict[str, np.ndarray]], rows: pd.DataFrame, as_coco: bool | None = None,
                     save_results: bool | str | Path | None = None, result_save_path: str | Path | None = None,
                     bbox_format: str | None = None, as_pandas: bool = True, predictor_path: Path | None = None,
                     ) -> pd.DataFrame | list[dict]:
        """The ``image`` + ``bboxes`` table, as AutoGluon-MM's ``predict`` returns it (``outputs.py``).

        ``save_results=True`` writes the results under the predictor's folder as AutoGluon-MM does:
        ``result.json`` (COCO results) unless ``as_coco=False``, then ``result.txt`` (the table as CSV);
        ``result_save_path`` names another file. A path as ``save_results`` writes JSON there (automm before 0.3:
        COCO results with ``as_coco=True``, else the table's records). ``as_pandas=False`` returns a list instead of
        the table: the COCO results with ``as_coco=True`` (what automm's ``as_coco=True`` returned before 0.3),
        else one dict per image.
        """
        table = BoxesDecoder(self.classes, IMAGE_COLUMN).predict(outputs, rows, bbox_format or self.bbox_format)
        coco = coco_results(outputs, rows.attrs.get("image_ids") or list(range(len(rows))), self.category_ids)
        if save_results is True:
            path = result_save_path or Path(predictor_path or ".") / ("result.txt" if as_coco is False else
                                                                       "result.json")
            if as_coco is False:
                save_table(table, path)
            else:
                save_json(coco, Path(path).with_suffix(".json"))
        elif save_results:
            save_json(coco if as_coco else table.to_dict(orient="records"), save_results)
        if as_pandas:
            return table
        return coco if as_coco else table.to_dict(orient="records")

    def score(self, logits: list[dict[str, np.ndarray]], targets: np.ndarray, metrics: list[str] | None = None,
              ) -> dict[str, float]:
        from .metrics import score_detections

        return score_detections(logits, targets, self.classes, list(metrics) if metrics else None)

    # ------------------------------------------------------------------ JSON
    def to_json(self) -> dict[str, Any]:
        return {"problem_type": self.problem_type, "classes": self.classes, "category_ids": self.category_ids,
                "keep_pretrained_if_better": self.keep_pretrained_if_better, "bbox_format": self.bbox_format,
                "coco_root": self.coco_root}

    @classmethod
    def from_json(cls, state: Mapping[str, Any]) -> DetectionTask:
        classes = [str(c) for c in state["classes"]]
        ids = [int(i) for i in state["category_ids"]]
        if len(ids) != len(classes):
            raise ValueError("category_ids must give one id per class")
        # Saved before 0.5 (no key): a loaded detector kept its weights when a further fit scored worse.
        # Saved before 0.3: boxes as x1, y1, x2, y2 and COCO file_names read from the JSON's folders.
        return cls(str(state["problem_type"]), classes, ids, bool(state.get("keep_pretrained_if_better", True)),
                   str(state.get("bbox_format", "xyxy")), str(state.get("coco_root", "")))

