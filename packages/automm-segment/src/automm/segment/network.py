"""The segmentation network: a backend's segmenter behind core's network contract, described by network.json."""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn

from automm.core.plugin import NETWORK_KINDS

from .backends.base import BACKENDS, SegmenterBackend, SegmenterOptions
from .processor import SegmentationBatch, SegmentationProcessor
from .prompts import prompt_counts

# Backend name -> module that registers it; imported on first use.
BACKEND_MODULES = {"smp": "smp_backend", "sam": "sam_backend"}


def backend(name: str) -> SegmenterBackend:
    """The registered backend ``name``, importing its module on first use."""
    if name not in BACKENDS and name in BACKEND_MODULES:
        importlib.import_module(f"{__package__}.backends.{BACKEND_MODULES[name]}")
    return BACKENDS.get(name)


class SegmentationNet(nn.Module):
    """Training: logits ``[B, K, S, S]``. Inference: per row, class probabilities ``[C, H, W]`` (float16) at the
    original image size, ``C`` = number of classes (binary: background, foreground).

    ``output_shape`` is None: outputs are per row (each image keeps its own size), not one dense array.
    """

    output_shape = None

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model
        self.embedding_size = int(model.feature_size)

    def forward(self, batch: SegmentationBatch) -> Any:
        logits = self.model(batch.images) if batch.prompts is None else prompted(self.model, batch)
        if self.training:
            return logits
        return [probabilities(row, valid, size) for row, valid, size in zip(logits, batch.valid, batch.sizes)]

    def embed(self, batch: SegmentationBatch) -> torch.Tensor:
        return self.model.features(batch.images)


def prompted(model: nn.Module, batch: SegmentationBatch) -> torch.Tensor:
    """Logits of a batch with prompts, decoded in groups of rows with the same prompt count: SAM's decoder attends
    over every prompt token, padding included, so a row's masks must not depend on the other rows' prompts."""
    counts = prompt_counts(batch.prompts)
    groups = counts.unique().tolist()
    if len(groups) == 1:
        return model(batch.images, batch.prompts[:, : groups[0]])
    parts = {count: (counts == count).nonzero()[:, 0] for count in groups}
    outputs = {count: model(batch.images[rows], batch.prompts[rows, :count]) for count, rows in parts.items()}
    first = next(iter(outputs.values()))
    logits = first.new_empty(len(batch), *first.shape[1:])
    for count, rows in parts.items():
        logits[rows] = outputs[count]
    return logits


def probabilities(logits: torch.Tensor, valid: torch.Tensor, size: torch.Tensor) -> torch.Tensor:
    """One row's logits ``[K, S, S]`` -> class probabilities ``[C, H, W]`` at the original size (see RECIPE)."""
    cropped = logits[None, :, : int(valid[0]), : int(valid[1])].float()
    resized = nn.functional.interpolate(cropped, size=(int(size[0]), int(size[1])), mode="bilinear",
                                        align_corners=False)[0]
    if len(resized) == 1:
        foreground = resized.sigmoid()
        return torch.cat([1 - foreground, foreground]).half()
    return resized.softmax(dim=0).half()


@NETWORK_KINDS.register("segmenter")
@dataclasses.dataclass(frozen=True)
class SegmenterSpec:
    """network.json of a segmenter: the backend's name and its options."""

    kind: ClassVar[str] = "segmenter"
    backend: str
    options: SegmenterOptions

    def to_json(self) -> dict[str, Any]:
        return {"backend": self.backend, "options": dataclasses.asdict(self.options)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SegmenterSpec:
        options = dict(data["options"])
        if not isinstance(options.get("extra", {}), dict):
            raise ValueError("options.extra must be an object")
        return cls(str(data["backend"]), SegmenterOptions(**options))

    def build(self, text_folder: Path | None, pretrained: bool) -> SegmentationNet:
        options = dataclasses.replace(self.options, pretrained=self.options.pretrained and pretrained)
        return SegmentationNet(backend(self.backend).build(options))

    def check_inputs(self, processors: Any) -> None:
        if not isinstance(processors, SegmentationProcessor) or processors.image_size != self.options.image_size:
            raise ValueError("processors.json does not describe the inputs of network.json")
