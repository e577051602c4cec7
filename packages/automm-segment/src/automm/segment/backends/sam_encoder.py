"""SAM's ViT image encoder with gradient checkpointing over its blocks, run in micro-batches while training.

``segment_anything``'s ``ImageEncoderViT`` has no checkpointing switch of its own (Hugging Face's ``SamModel`` has
``gradient_checkpointing_enable``), so each block runs under ``torch.utils.checkpoint`` (non-reentrant: LoRA and
Conv-LoRA adapters inside a frozen block still get gradients). While training, the blocks keep only their inputs;
backward recomputes one block at a time. With ``micro_batch`` set, a block runs over that many images at once, so
the attention maps (the largest tensors: ``[heads, 4096, 4096]`` per image in a global block at 1024 px) are
recomputed for a few images at a time, while the optimizer still sees the whole batch: the gradients are those of
the whole batch (SAM has no batch statistics), so this is gradient accumulation within one step.

Outside training (predict, export, ``torch.no_grad``) the forward is ``ImageEncoderViT``'s own; the state dict
keys are unchanged.
"""

from __future__ import annotations

import logging

import torch
from segment_anything.modeling import ImageEncoderViT
from torch.utils.checkpoint import checkpoint

from automm.core.vision.memory import is_out_of_memory

logger = logging.getLogger("automm")


class CheckpointedImageEncoder(ImageEncoderViT):
    """``ImageEncoderViT`` whose blocks train under gradient checkpointing (``checkpointing``), ``micro_batch``
    images at a time (0: the whole batch)."""

    checkpointing: bool = False
    micro_batch: int = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (self.checkpointing and self.training and torch.is_grad_enabled()):
            return super().forward(x)
        x = self.patch_embed(x)
        if self.pos_embed is not None:
            x = x + self.pos_embed
        for block in self.blocks:
            x = self._checkpointed(block, x)
        return self.neck(x.permute(0, 3, 1, 2))

    def _checkpointed(self, block: torch.nn.Module, tokens: torch.Tensor) -> torch.Tensor:
        """``block(tokens)`` under checkpointing, ``micro_batch`` images at a time; an allocation failure halves
        ``micro_batch`` (down to one image) and runs the block again."""
        while True:
            size = self.micro_batch or len(tokens)
            try:
                return torch.cat([checkpoint(block, part, use_reentrant=False) for part in tokens.split(size)])
            except (RuntimeError, MemoryError) as error:
                if size == 1 or not is_out_of_memory(error):
                    raise
                self.micro_batch = size // 2
                logger.warning("SAM's image encoder ran out of memory on %d images at a time; retrying with %d.",
                               size, self.micro_batch)


def image_encoder(model: torch.nn.Module) -> CheckpointedImageEncoder:
    """The SAM image encoder inside ``model`` (under PEFT's wrappers, if any).

    Raises:
        ValueError: ``model`` holds no SAM image encoder.
    """
    found = next((module for module in model.modules() if isinstance(module, CheckpointedImageEncoder)), None)
    if found is None:
        raise ValueError(f"{type(model).__name__} holds no SAM image encoder (CheckpointedImageEncoder).")
    return found
