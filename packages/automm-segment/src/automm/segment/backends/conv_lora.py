"""Conv-LoRA (Zhong et al., "Convolution Meets LoRA", ICLR 2024), the adapter AutoGluon-MM fine-tunes SAM with.

LoRA's rank-``r`` features of a token grid pass through a mixture of convolution experts, each working at its
own scale (upsample by ``s``, 3x3 convolution, GELU, average-pool back), chosen per image by a top-1 gate, before
the up-projection. The convolutions add the local image prior a plain ViT lacks. Unlike LoRA this cannot be
folded into the weights, so the adapters stay in the saved network (``options.extra["conv_lora"]``).

Simplifications: the gate is a softmax over pooled features with a hard top-1 choice (its weight keeps the gate
trainable), no noisy gating and no load-balancing loss; every expert runs, so the graph exports to ONNX as is.
"""

from __future__ import annotations

import math

import torch
from torch import nn

DEFAULT_EXPERTS = 4  # scales 1..4
CONV_LORA_MARK = "conv_lora"  # in the names of the adapters' parameters (saved weights keep this name)


class ConvLoraExpert(nn.Module):
    """Upsample ``[B, r, H, W]`` by ``scale``, 3x3 convolution, GELU, average-pool back to ``H x W``."""

    def __init__(self, rank: int, scale: int):
        super().__init__()
        self.scale = scale
        self.conv = nn.Conv2d(rank, rank, kernel_size=3, padding=1)

    def forward(self, grid: torch.Tensor) -> torch.Tensor:
        if self.scale > 1:
            grid = nn.functional.interpolate(grid, scale_factor=self.scale, mode="bilinear", align_corners=False)
        out = nn.functional.gelu(self.conv(grid))
        return nn.functional.avg_pool2d(out, self.scale) if self.scale > 1 else out


class ConvLoraLinear(nn.Module):
    """``base(x) + alpha / r * up(down(x) + experts(down(x)))`` on tokens ``[B, H, W, C]``; ``base`` stays frozen.

    ``up`` starts at zero, so the adapted layer starts equal to ``base``.
    """

    def __init__(self, base: nn.Linear, rank: int, experts: int = DEFAULT_EXPERTS):
        super().__init__()
        self.base = base
        adapter = nn.Module()
        adapter.down = nn.Linear(base.in_features, rank, bias=False)
        adapter.up = nn.Linear(rank, base.out_features, bias=False)
        adapter.gate = nn.Linear(rank, experts)
        adapter.experts = nn.ModuleList(ConvLoraExpert(rank, scale) for scale in range(1, experts + 1))
        nn.init.kaiming_uniform_(adapter.down.weight, a=math.sqrt(5))
        nn.init.zeros_(adapter.up.weight)
        setattr(self, CONV_LORA_MARK, adapter)  # parameter names contain the mark train_adapters_only looks for
        self.scaling = 2.0  # lora_alpha = 2 r, as core's LoRA

    @property
    def adapter(self) -> nn.Module:
        return getattr(self, CONV_LORA_MARK)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        adapter = self.adapter
        low = adapter.down(tokens)  # [B, H, W, r]
        grid = low.permute(0, 3, 1, 2)
        gates = adapter.gate(grid.mean(dim=(2, 3))).softmax(dim=-1)  # [B, E]
        chosen = nn.functional.one_hot(gates.argmax(dim=-1), gates.shape[-1]).to(gates.dtype) * gates
        mixed = sum(chosen[:, e, None, None, None] * expert(grid) for e, expert in enumerate(adapter.experts))
        return self.base(tokens) + self.scaling * adapter.up(low + mixed.permute(0, 2, 3, 1))


def add_conv_lora(encoder: nn.Module, rank: int, experts: int = DEFAULT_EXPERTS) -> None:
    """Wrap the ``attn.qkv`` layer of every block of SAM's image encoder in a ``ConvLoraLinear``, in place."""
    for block in encoder.blocks:
        block.attn.qkv = ConvLoraLinear(block.attn.qkv, rank, experts)


def train_adapters_only(net: nn.Module) -> None:
    """Freeze every backbone parameter but the Conv-LoRA adapters' (``task.conv_lora``), in place.

    Core's ``merge_peft`` makes the backbones trainable again after the fit.
    """
    for module in net.modules():
        backbone = getattr(module, "backbone", None)
        if isinstance(backbone, nn.Module):
            for name, param in backbone.named_parameters():
                param.requires_grad = CONV_LORA_MARK in name
