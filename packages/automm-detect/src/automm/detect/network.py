"""The detection network: a backend's detector behind core's network contract, described by network.json."""

from __future__ import annotations

from typing import Any

import torch

from automm.core.models.network import NETWORK_KINDS
from automm.core.vision.backends import lazy_backends
from automm.core.vision.network import BackendSpec, LetterboxNet

from .backends.base import BACKENDS, DetectorOptions
from .processor import DetectionBatch, DetectionProcessor

# Backend name -> module that registers it; imported on first use (transformers and mmdet are heavy).
BACKEND_MODULES = {"torchvision": "torchvision_backend", "transformers": "transformers_backend",
                   "mmdet": "mmdet_backend"}
backend = lazy_backends(BACKENDS, f"{__package__}.backends", BACKEND_MODULES)


class DetectionNet(LetterboxNet):
    """Training: the backend's losses. Inference: per-image detections in original-image pixels."""

    def forward(self, batch: DetectionBatch) -> Any:
        if self.training:
            return self.model(batch.images, batch.train_targets)
        detections = self.model(batch.images)
        return [to_original(d, scale, size) for d, scale, size in zip(detections, batch.scales, batch.sizes)]


def to_original(detections: dict[str, torch.Tensor], scale: torch.Tensor, size: torch.Tensor,
                ) -> dict[str, torch.Tensor]:
    """Boxes from input pixels back to the original image's pixels, clipped to it."""
    boxes = detections["boxes"] / scale
    limits = torch.stack([size[1], size[0], size[1], size[0]]).to(boxes.dtype)
    boxes = torch.minimum(boxes.clamp(min=0), limits)
    return {"boxes": boxes, "scores": detections["scores"], "labels": detections["labels"]}


@NETWORK_KINDS.register("detector")
class DetectorSpec(BackendSpec[DetectorOptions], kind="detector", options=DetectorOptions, net=DetectionNet,
                   processors=DetectionProcessor, backends=backend):
    """network.json of a detector: the backend's name and its options."""
