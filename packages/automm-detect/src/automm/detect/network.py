"""The detection network: a backend's detector behind core's network contract, described by network.json."""

from __future__ import annotations

from typing import Any

from automm.core.base.boxes import to_original
from automm.core.plugin import NETWORK_KINDS, to_numpy
from automm.core.vision.backends import lazy_backends
from automm.core.vision.network import BackendSpec, LetterboxNet

from .backends.base import BACKENDS, DetectorOptions
from .processor import DetectionBatch, DetectionProcessor

# Backend name -> module that registers it; imported on first use (transformers and mmdet are heavy).
BACKEND_MODULES = {"torchvision": "torchvision_backend", "transformers": "transformers_backend",
                   "mmdet": "mmdet_backend"}
backend = lazy_backends(BACKENDS, f"{__package__}.backends", BACKEND_MODULES)


class DetectionNet(LetterboxNet):
    """Training: the backend's losses. Inference: per-image detections (numpy) in original-image pixels."""

    def forward(self, batch: DetectionBatch) -> Any:
        if self.training:
            return self.model(batch.images, batch.train_targets)
        detections = to_numpy(self.model(batch.images))
        return [to_original(d, scale, size)
                for d, scale, size in zip(detections, to_numpy(batch.scales), to_numpy(batch.sizes))]


@NETWORK_KINDS.register("detector")
class DetectorSpec(BackendSpec[DetectorOptions], kind="detector", options=DetectorOptions, net=DetectionNet,
                   processors=DetectionProcessor, backends=backend):
    """network.json of a detector: the backend's name and its options."""
