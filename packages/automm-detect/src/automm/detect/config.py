"""The ``task`` section of a detection predictor's Config (``hyperparameters={"task.image_size": 640}``)."""

from __future__ import annotations

from dataclasses import dataclass

from automm.core.errors import ConfigError

BACKEND_NAMES = ("torchvision", "transformers", "mmdet")


@dataclass(frozen=True)
class DetectConfig:
    """Which detector, at what input size, and how its outputs are filtered.

    ``architecture`` is the backend's model: "fcos" / "retinanet" / "faster_rcnn" for torchvision; a
    transformers checkpoint (hub id or local folder of RT-DETR / D-FINE); an mmdet config name or file.
    ``backbone`` is a timm model name (torchvision backend only). ``checkpoint`` is an optional local
    weights file (mmdet backend).
    """

    backend: str = "torchvision"
    # Faster R-CNN: the most test mAP per training minute on 2 quiet CPU cores (0.030 vs RetinaNet's 0.022 at 240 s)
    # and 0.44 mAP after 15 minutes (BENCHMARKS.md); FCOS's ReLU box regression collapsed to zero-size boxes there.
    architecture: str = "faster_rcnn"
    backbone: str = "tf_efficientnet_lite0"
    checkpoint: str = ""
    image_size: int = 416  # the letterboxed input is image_size x image_size
    min_score: float = 0.05  # detections below this score are dropped
    max_detections: int = 100  # per image
    flip: bool = True  # training: random horizontal flip
    scale_jitter_min: float = 0.75  # training: random resize factor range
    scale_jitter_max: float = 1.25

    def __post_init__(self) -> None:
        if self.backend not in BACKEND_NAMES:
            raise ConfigError(f"task.backend must be one of {BACKEND_NAMES}, got {self.backend!r}.")
        if self.image_size < 64 or self.image_size % 32:
            raise ConfigError(f"task.image_size must be a multiple of 32 and >= 64, got {self.image_size}.")
        if not 0 <= self.min_score < 1:
            raise ConfigError(f"task.min_score must be in [0, 1), got {self.min_score}.")
        if self.max_detections < 1:
            raise ConfigError(f"task.max_detections must be >= 1, got {self.max_detections}.")
        if not 0 < self.scale_jitter_min <= self.scale_jitter_max:
            raise ConfigError(f"task.scale_jitter_min must be > 0 and <= task.scale_jitter_max, got "
                              f"{self.scale_jitter_min} and {self.scale_jitter_max}.")
