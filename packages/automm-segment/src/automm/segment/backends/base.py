"""What every segmenter backend provides: a registered builder and a model with one forward contract.

A backend model takes a batch of letterboxed images and returns per-pixel logits at the input size:

* ``images``: float tensor ``[B, 3, S, S]`` in ``[0, 1]``, RGB, each image resized so its longer side is
  ``S`` and placed at the top-left corner, zero-padded to ``S x S``. The backend normalises itself.
* ``forward(images)`` -> logits ``[B, K, S, S]``: ``K = 1`` for a binary task (foreground logit, sigmoid),
  ``K = num_classes`` otherwise (softmax over classes). The same in training and in eval mode.
* ``forward(images, prompts)``: backends that take SAM's point / box prompts (``SegmenterBackend.prompts``)
  also accept ``[B, N, 3]`` ``(x, y, label)`` prompts in the input's pixels (layout in ``prompts.py``).
* ``features(images)`` -> ``[B, D]`` pooled image features (``extract_embedding``); ``feature_size`` is ``D``.
* ``backbone``: the pretrained image encoder as an attribute named ``backbone``, so core's ``optim.peft``
  (LoRA / IA3 / BitFit through ``peft``) adapts it and leaves the decoder fully trainable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from automm.core.plugin import Registry


@dataclass(frozen=True)
class SegmenterOptions:
    """What a backend builder needs; everything here is stored in network.json.

    Attributes:
        architecture: the backend's model ("fpn" / "unet" for smp; "vit_b" / "vit_l" / "vit_h" for SAM).
        num_outputs: ``K``, output channels (1 for binary, the class count otherwise).
        image_size: ``S``, the side of the square letterboxed input.
        encoder: a timm model name (smp); unused by SAM.
        checkpoint: where pretrained weights come from (SAM: a hub id, a local Hugging Face folder or an
            official ``.pth`` file); empty for smp, whose encoder weights come from core's image resolver.
        pretrained: load pretrained weights (at fit time; a saved predictor rebuilds with False).
        extra: backend-specific JSON values, e.g. the architecture's config so a saved predictor rebuilds
            offline without the checkpoint.
    """

    architecture: str
    num_outputs: int
    image_size: int
    encoder: str = ""
    checkpoint: str = ""
    pretrained: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SegmenterBackend:
    """A registered backend.

    Attributes:
        build: ``build(options) -> nn.Module`` following the module docstring's contract.
        prepare: ``prepare(options) -> options`` at fit time, before ``build``: resolve the checkpoint and
            store in ``options.extra`` whatever rebuilding the architecture offline needs. Default: unchanged.
        prompts: whether the model takes point / box prompts (and so can segment zero-shot when pretrained).
    """

    build: Callable[[SegmenterOptions], Any]
    prepare: Callable[[SegmenterOptions], SegmenterOptions] = lambda options: options
    prompts: bool = False


BACKENDS: Registry[SegmenterBackend] = Registry("segmenter backend")
