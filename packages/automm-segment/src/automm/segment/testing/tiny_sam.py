"""A tiny randomly initialised Segment Anything model in the official file format (no SAM weights ship offline)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import torch
from segment_anything.modeling import ImageEncoderViT, MaskDecoder, PromptEncoder, Sam, TwoWayTransformer
from torch import nn


def tiny_sam(image_size: int = 64) -> Sam:
    """segment_anything's ``Sam`` with a 2-block, 32-wide encoder (block 0 windowed, block 1 global); the same
    weights every call (seeded, without touching the global random state)."""
    grid = image_size // 16
    with torch.random.fork_rng():
        torch.manual_seed(0)
        encoder = ImageEncoderViT(img_size=image_size, patch_size=16, embed_dim=32, depth=2, num_heads=2,
                                  out_chans=32, norm_layer=partial(nn.LayerNorm, eps=1e-6), use_rel_pos=True,
                                  window_size=2, global_attn_indexes=(1,))
        prompt = PromptEncoder(embed_dim=32, image_embedding_size=(grid, grid),
                               input_image_size=(image_size, image_size), mask_in_chans=8)
        transformer = TwoWayTransformer(depth=2, embedding_dim=32, mlp_dim=64, num_heads=8)
        decoder = MaskDecoder(transformer_dim=32, transformer=transformer, iou_head_hidden_dim=32)
        return Sam(encoder, prompt, decoder)


def save_tiny_sam(path: str | Path, image_size: int = 64) -> Path:
    """Write ``tiny_sam(image_size)``'s state dict to ``path`` as an official ``sam_vit_*.pth`` file would be."""
    path = Path(path)
    torch.save(tiny_sam(image_size).state_dict(), path)
    return path
