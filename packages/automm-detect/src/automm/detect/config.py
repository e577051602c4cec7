"""The ``task`` section of a detection predictor's Config (``hyperparameters={"task.image_size": 640}``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from automm.core.errors import ConfigError
from automm.core.vision.config import VisionConfig

from .checkpoint_names import resolve_checkpoint_name

BACKEND_NAMES = ("torchvision", "transformers", "mmdet")
BBOX_FORMATS = ("xyxy", "xywh")


@dataclass(frozen=True)
class DetectConfig(VisionConfig):
    """Which detector, at what input size, and how its outputs are filtered (image settings: ``VisionConfig``).

    ``architecture`` is the backend's model: "fcos" / "retinanet" / "faster_rcnn" for torchvision; a
    transformers checkpoint (hub id or local folder of RT-DETR / D-FINE); an mmdet config name or file.
    ``backbone`` is a timm model name (torchvision backend only). ``checkpoint`` is an optional local
    weights file (mmdet backend).

    AutoGluon-MM's ``model.mmdet_image.*`` keys are accepted (``aliases``): ``checkpoint_name`` sets
    ``task.checkpoint_name``, a model name that chooses ``backend`` and ``architecture`` (``checkpoint_names.py``)
    and is then cleared; ``output_bbox_format`` sets ``task.bbox_format`` (predict's default box format);
    ``frozen_layers`` sets ``task.frozen_layers`` (prefixes of parameter names that do not train);
    ``coco_root`` sets ``task.coco_root`` (the folder COCO ``file_name``s are relative to).
    """

    aliases: ClassVar[dict[str, str]] = {
        "model.mmdet_image.checkpoint_name": "task.checkpoint_name",
        "model.mmdet_image.output_bbox_format": "task.bbox_format",
        "model.mmdet_image.frozen_layers": "task.frozen_layers",
        "model.mmdet_image.coco_root": "task.coco_root",
    }
    backend_names: ClassVar[tuple[str, ...]] = BACKEND_NAMES
    min_image_size: ClassVar[int] = 64

    backend: str = "torchvision"
    # Faster R-CNN: the most test mAP per training minute on 2 quiet CPU cores (0.030 vs RetinaNet's 0.022 at 240 s)
    # and 0.44 mAP after 15 minutes (BENCHMARKS.md); FCOS's ReLU box regression collapsed to zero-size boxes there.
    architecture: str = "faster_rcnn"
    image_size: int = 416  # the letterboxed input is image_size x image_size
    min_score: float = 0.05  # detections below this score are dropped
    max_detections: int = 100  # per image
    checkpoint_name: str = ""  # AutoGluon-MM's model name; sets backend + architecture, then is cleared
    bbox_format: str = "xyxy"  # predict()'s default box format
    frozen_layers: tuple[str, ...] = ()  # parameter-name prefixes that keep their weights during fit
    coco_root: str = ""  # COCO file_names are relative to this folder (empty: the JSON's parent, then its own)

    def __post_init__(self) -> None:
        if self.checkpoint_name:
            backend, architecture = resolve_checkpoint_name(self.checkpoint_name)
            object.__setattr__(self, "backend", backend)
            object.__setattr__(self, "architecture", architecture)
            object.__setattr__(self, "checkpoint_name", "")
        frozen = self.frozen_layers
        if frozen is None or isinstance(frozen, str):
            frozen = () if frozen is None else (frozen,)
        object.__setattr__(self, "frozen_layers", tuple(str(prefix) for prefix in frozen))
        super().__post_init__()
        if not 0 <= self.min_score < 1:
            raise ConfigError(f"task.min_score must be in [0, 1), got {self.min_score}.")
        if self.max_detections < 1:
            raise ConfigError(f"task.max_detections must be >= 1, got {self.max_detections}.")
        if self.bbox_format not in BBOX_FORMATS:
            raise ConfigError(f"task.bbox_format (AutoGluon-MM's model.mmdet_image.output_bbox_format) must be one "
                              f"of {list(BBOX_FORMATS)}, got {self.bbox_format!r}.")
