"""The segmentation network: a backend's segmenter behind core's network contract, described by network.json."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from automm.core.base.masks import probabilities as base_probabilities
from automm.core.plugin import NETWORK_KINDS, to_numpy
from automm.core.vision.backends import lazy_backends
from automm.core.vision.network import BackendSpec, LetterboxNet

from .backends.base import BACKENDS, SegmenterOptions
from .processor import SegmentationBatch, SegmentationProcessor
from .prompts import prompt_counts

# Backend name -> module that registers it; imported on first use.
BACKEND_MODULES = {"smp": "smp_backend", "sam": "sam_backend"}
backend = lazy_backends(BACKENDS, f"{__package__}.backends", BACKEND_MODULES)


class SegmentationNet(LetterboxNet):
    """Training: logits ``[B, K, S, S]``. Inference: per row, class probabilities ``[C, H, W]`` (float16) at the
    original image size, ``C`` = number of classes (binary: background, foreground)."""

    def forward(self, batch: SegmentationBatch) -> Any:
        logits = self.model(batch.images) if batch.prompts is None else prompted(self.model, batch)
        if self.training:
            return logits
        return [probabilities(row, valid, size) for row, valid, size in zip(logits, batch.valid, batch.sizes)]


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
    """One row's logits ``[K, S, S]`` -> class probabilities ``[C, H, W]`` (float16) at the original size, by
    ``automm.core.base.masks.probabilities`` (the ONNX runtime's too), on the logits' device."""
    found = base_probabilities(logits.detach().float().cpu().numpy(), to_numpy(valid), to_numpy(size))
    return torch.from_numpy(found).to(logits.device)


@NETWORK_KINDS.register("segmenter")
class SegmenterSpec(BackendSpec[SegmenterOptions], kind="segmenter", options=SegmenterOptions,
                    net=SegmentationNet, processors=SegmentationProcessor, backends=backend):
    """network.json of a segmenter: the backend's name and its options."""
