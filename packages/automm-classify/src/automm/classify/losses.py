"""Losses: cross-entropy with label smoothing, softmax focal loss, BCE, MSE."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from automm.core.errors import ConfigError
from automm.core.suggest import did_you_mean


class FocalLoss(nn.Module):
    """Softmax focal loss (Lin et al., 2017): down-weights easy examples by ``(1 - p) ** gamma``."""

    def __init__(self, gamma: float = 2.0, label_smoothing: float = 0.0):
        super().__init__()
        self.gamma, self.label_smoothing = gamma, label_smoothing

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        ce = F.cross_entropy(logits, targets, reduction="none", label_smoothing=self.label_smoothing)
        p = torch.exp(-F.cross_entropy(logits, targets, reduction="none"))
        return ((1 - p) ** self.gamma * ce).mean()


def classification_loss(name: str, label_smoothing: float, focal_gamma: float) -> nn.Module:
    choices = {"auto": "cross_entropy", "cross_entropy": "cross_entropy", "focal": "focal"}
    if name not in choices:
        raise ConfigError(f"optim.loss {name!r} is not a classification loss.{did_you_mean(name, choices)} "
                          f"Choose from {sorted(choices)}.")
    if choices[name] == "focal":
        return FocalLoss(focal_gamma, label_smoothing)
    return nn.CrossEntropyLoss(label_smoothing=label_smoothing)


def regression_loss(name: str) -> nn.Module:
    choices = {"auto": nn.MSELoss, "mse": nn.MSELoss, "mae": nn.L1Loss, "huber": nn.HuberLoss}
    if name not in choices:
        raise ConfigError(f"optim.loss {name!r} is not a regression loss.{did_you_mean(name, choices)} "
                          f"Choose from {sorted(choices)}.")
    return choices[name]()


class RegressionLoss(nn.Module):
    """Applies a regression loss to ``[rows, outputs]`` logits and float targets."""

    def __init__(self, name: str):
        super().__init__()
        self.inner = regression_loss(name)

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return self.inner(logits, targets.to(logits.dtype).reshape(logits.shape))


class MultilabelLoss(nn.Module):
    """Binary cross-entropy per label column, with optional label smoothing towards 0.5."""

    def __init__(self, label_smoothing: float = 0.0):
        super().__init__()
        self.label_smoothing = label_smoothing

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        targets = targets.to(logits.dtype) * (1 - self.label_smoothing) + 0.5 * self.label_smoothing
        return F.binary_cross_entropy_with_logits(logits, targets)
