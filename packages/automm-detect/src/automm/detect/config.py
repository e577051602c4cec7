"""The ``task`` section of a detection predictor's Config (``hyperparameters={"task.image_size": 640}``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from automm.core.errors import ConfigError
from automm.core.vision.config import VisionConfig

BACKEND_NAMES = ("torchvision", "transformers", "mmdet")


@dataclass(frozen=True)
class DetectConfig(VisionConfig):
    """Which detector, at what input size, and how its outputs are filtered (image settings: ``VisionConfig``).

    ``architecture`` is the backend's model: "fcos" / "retinanet" / "faster_rcnn" for torchvision; a
    transformers checkpoint (hub id or local folder of RT-DETR / D-FINE); an mmdet config name or file.
    ``backbone`` is a timm model name (torchvision backend only). ``checkpoint`` is an optional local
    weights file (mmdet backend).
    """

    backend_names: ClassVar[tuple[str, ...]] = BACKEND_NAMES
    min_image_size: ClassVar[int] = 64

    backend: str = "torchvision"
    # Faster R-CNN: the most test mAP per training minute on 2 quiet CPU cores (0.030 vs RetinaNet's 0.022 at 240 s)
    # and 0.44 mAP after 15 minutes (BENCHMARKS.md); FCOS's ReLU box regression collapsed to zero-size boxes there.
    architecture: str = "faster_rcnn"
    image_size: int = 416  # the letterboxed input is image_size x image_size
    min_score: float = 0.05  # detections below this score are dropped
    max_detections: int = 100  # per image

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 <= self.min_score < 1:
            raise ConfigError(f"task.min_score must be in [0, 1), got {self.min_score}.")
        if self.max_detections < 1:
            raise ConfigError(f"task.max_detections must be >= 1, got {self.max_detections}.")
