"""What every segmenter backend provides: a registered builder and a model with one forward contract.

A backend model takes a batch of letterboxed images and returns per-pixel logits at the input size:

* ``images``: float tensor ``[B, 3, S, S]`` in ``[0, 1]``, RGB, each image resized so its longer side is
  ``S`` and placed at the top-left corner, zero-padded to ``S x S``. The backend normalises itself.
* ``forward(images)`` -> logits ``[B, K, S, S]``: ``K = num_classes`` of the options (1 for a binary task:
  foreground logit, sigmoid; softmax over classes otherwise). The same in training and in eval mode.
* ``forward(images, prompts)``: backends that take SAM's point / box prompts (``SegmenterBackend.prompts``)
  also accept ``[B, N, 3]`` ``(x, y, label)`` prompts in the input's pixels (layout in ``prompts.py``).
* ``features(images)`` -> ``[B, D]`` pooled image features (``extract_embedding``); ``feature_size`` is ``D``.
* ``backbone``: the pretrained image encoder as an attribute named ``backbone``, so core's ``optim.peft``
  (LoRA / IA3 / BitFit through ``peft``) adapts it and leaves the decoder fully trainable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from automm.core.plugin import Registry
from automm.core.vision.backends import BackendOptions, VisionBackend


@dataclass(frozen=True)
class SegmenterOptions(BackendOptions):
    """``BackendOptions`` (``architecture``: "fpn" / "unet" for smp, "vit_b" / "vit_l" / "vit_h" for SAM;
    ``num_classes``: ``K``, the output channels, 1 for binary and the class count otherwise; ``backbone``: a timm
    model name for smp, unused by SAM) plus:

    Attributes:
        checkpoint: where pretrained weights come from (SAM: a hub id, a local Hugging Face folder or an
            official ``.pth`` file); empty for smp, whose encoder weights come from core's image resolver.

    network.json written by automm-segment 0.1 names ``num_classes`` "num_outputs" and ``backbone`` "encoder".
    """

    renamed: ClassVar[Mapping[str, str]] = {"num_outputs": "num_classes", "encoder": "backbone"}

    checkpoint: str = ""


@dataclass(frozen=True)
class SegmenterBackend(VisionBackend[SegmenterOptions]):
    """A registered backend (``build``, ``prepare``: see ``VisionBackend``).

    Attributes:
        prompts: whether the model takes point / box prompts (and so can segment zero-shot when pretrained).
    """

    prompts: bool = False


BACKENDS: Registry[SegmenterBackend] = Registry("segmenter backend")
