"""What every detector backend provides: a registered builder and a model with torchvision's detection API.

A backend model takes a batch of letterboxed images and returns detections in the same pixel space:

* ``images``: float tensor ``[B, 3, S, S]`` in ``[0, 1]``, RGB, each image resized so its longer side is at
  most ``S`` and placed at the top-left corner, zero-padded to ``S x S``. The backend normalises itself.
* training (``model.train()`` and ``targets`` given): ``targets`` is one dict per image with ``"boxes"``
  (``[n, 4]`` float, ``x1, y1, x2, y2`` in input pixels; ``n`` may be 0) and ``"labels"`` (``[n]`` long,
  ``0 .. num_classes - 1``). Returns a dict of named scalar losses; their sum is minimised.
* inference (``model.eval()``): returns one dict per image with ``"boxes"`` (``[k, 4]`` xyxy input pixels),
  ``"scores"`` (``[k]``) and ``"labels"`` (``[k]`` long, ``0 .. num_classes - 1``), best first, at most
  ``max_detections`` and only scores ``>= min_score``.
* ``features(images)``: ``[B, D]`` pooled image features (``extract_embedding``); ``feature_size`` is ``D``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import torch

from automm.core.plugin import Registry
from automm.core.vision.backends import BackendOptions, VisionBackend


@dataclass(frozen=True)
class DetectorOptions(BackendOptions):
    """``BackendOptions`` (``architecture``: "fcos", a transformers checkpoint, an mmdet config name;
    ``num_classes``: classes to detect; ``extra`` may hold a transformers ``config`` dict) plus:

    Attributes:
        min_score: detections below this score are dropped.
        max_detections: at most this many detections per image.
    """

    min_score: float = 0.05
    max_detections: int = 100


class DetectorModel(Protocol):
    """The model a backend builds (an ``nn.Module``); see the module docstring for the exact contract."""

    feature_size: int

    def __call__(self, images: torch.Tensor, targets: list[dict[str, torch.Tensor]] | None = None) -> Any: ...

    def features(self, images: torch.Tensor) -> torch.Tensor: ...


@dataclass(frozen=True)
class DetectorBackend(VisionBackend[DetectorOptions]):
    """A registered backend (``build``, ``prepare``: see ``VisionBackend``).

    Attributes:
        pretrained_classes: class names the pretrained model already detects (zero-shot), or None.
    """

    pretrained_classes: Callable[[DetectorOptions], list[str] | None] = lambda options: None


BACKENDS: Registry[DetectorBackend] = Registry("detector backend")
