"""The detection network: a backend's detector behind core's network contract, described by network.json."""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn

from automm.core.plugin import NETWORK_KINDS

from .backends.base import BACKENDS, DetectorBackend, DetectorOptions
from .processor import DetectionBatch, DetectionProcessor

# Backend name -> module that registers it; imported on first use (transformers and mmdet are heavy).
BACKEND_MODULES = {"torchvision": "torchvision_backend", "transformers": "transformers_backend",
                   "mmdet": "mmdet_backend"}


def backend(name: str) -> DetectorBackend:
    """The registered backend ``name``, importing its module on first use."""
    if name not in BACKENDS and name in BACKEND_MODULES:
        importlib.import_module(f"{__package__}.backends.{BACKEND_MODULES[name]}")
    return BACKENDS.get(name)


class DetectionNet(nn.Module):
    """Training: the backend's losses. Inference: per-image detections in original-image pixels.

    ``output_shape`` is None: outputs are per row (a variable number of boxes), not one dense array.
    """

    output_shape = None

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model
        self.embedding_size = int(model.feature_size)

    def forward(self, batch: DetectionBatch) -> Any:
        if self.training:
            return self.model(batch.images, batch.train_targets)
        detections = self.model(batch.images)
        return [to_original(d, scale, size) for d, scale, size in zip(detections, batch.scales, batch.sizes)]

    def embed(self, batch: DetectionBatch) -> torch.Tensor:
        return self.model.features(batch.images)


def to_original(detections: dict[str, torch.Tensor], scale: torch.Tensor, size: torch.Tensor,
                ) -> dict[str, torch.Tensor]:
    """Boxes from input pixels back to the original image's pixels, clipped to it."""
    boxes = detections["boxes"] / scale
    limits = torch.stack([size[1], size[0], size[1], size[0]]).to(boxes.dtype)
    boxes = torch.minimum(boxes.clamp(min=0), limits)
    return {"boxes": boxes, "scores": detections["scores"], "labels": detections["labels"]}


@NETWORK_KINDS.register("detector")
@dataclasses.dataclass(frozen=True)
class DetectorSpec:
    """network.json of a detector: the backend's name and its options."""

    kind: ClassVar[str] = "detector"
    backend: str
    options: DetectorOptions

    def to_json(self) -> dict[str, Any]:
        return {"backend": self.backend, "options": dataclasses.asdict(self.options)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DetectorSpec:
        options = dict(data["options"])
        if not isinstance(options.get("extra", {}), dict):
            raise ValueError("options.extra must be an object")
        return cls(str(data["backend"]), DetectorOptions(**options))

    def build(self, text_folder: Path | None, pretrained: bool) -> DetectionNet:
        options = dataclasses.replace(self.options, pretrained=self.options.pretrained and pretrained)
        return DetectionNet(backend(self.backend).build(options))

    def check_inputs(self, processors: Any) -> None:
        if not isinstance(processors, DetectionProcessor) or processors.image_size != self.options.image_size:
            raise ValueError("processors.json does not describe the inputs of network.json")
