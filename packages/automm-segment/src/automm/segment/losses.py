"""Training losses: the structure loss for binary masks, cross-entropy + Dice for several classes.

Padding pixels (target ``IGNORE``) contribute nothing to either loss.
"""

from __future__ import annotations

import torch
from torch import nn

from .processor import IGNORE


class StructureLoss(nn.Module):
    """Boundary-weighted BCE + weighted IoU (F3Net / PraNet): pixels near an object edge weigh up to 6x.

    ``logits`` ``[B, 1, S, S]``, ``target`` ``[B, S, S]`` with 0 / 1 / ``IGNORE``.
    """

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        valid = (target != IGNORE).unsqueeze(1).float()
        mask = (target == 1).unsqueeze(1).float()
        local = nn.functional.avg_pool2d(mask, kernel_size=31, stride=1, padding=15)
        weight = (1 + 5 * (local - mask).abs()) * valid
        bce = nn.functional.binary_cross_entropy_with_logits(logits, mask, reduction="none")
        weighted_bce = (weight * bce).sum(dim=(2, 3)) / weight.sum(dim=(2, 3)).clamp(min=1)
        probability = logits.sigmoid()
        intersection = (probability * mask * weight).sum(dim=(2, 3))
        union = ((probability + mask) * weight).sum(dim=(2, 3))
        weighted_iou = 1 - (intersection + 1) / (union - intersection + 1)
        return (weighted_bce + weighted_iou).mean()


class CrossEntropyDiceLoss(nn.Module):
    """Cross-entropy plus segmentation-models-pytorch's multiclass Dice loss on ``[B, K, S, S]`` logits."""

    def __init__(self) -> None:
        super().__init__()
        from segmentation_models_pytorch.losses import DiceLoss

        self.dice = DiceLoss(mode="multiclass", from_logits=True, ignore_index=IGNORE)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(logits, target, ignore_index=IGNORE) + self.dice(logits, target)


def segmentation_loss(binary: bool) -> nn.Module:
    return StructureLoss() if binary else CrossEntropyDiceLoss()
