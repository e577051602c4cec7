"""Losses: cross-entropy with label smoothing, softmax focal loss, BCE, MSE, and soft-label (distillation) losses."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from automm.core.errors import ConfigError

from .config import ClassificationConfig


class FocalLoss(nn.Module):
    """Softmax focal loss (Lin et al., 2017): down-weights easy examples by ``(1 - p) ** gamma``; ``alpha`` (one
    weight per class) weighs each row's term by its true class's weight, before the mean over rows."""

    def __init__(self, gamma: float = 2.0, label_smoothing: float = 0.0, alpha: tuple[float, ...] | None = None):
        super().__init__()
        self.gamma, self.label_smoothing = gamma, label_smoothing
        self.alpha: torch.Tensor | None
        self.register_buffer("alpha", None if alpha is None else torch.tensor(alpha), persistent=False)

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        ce = F.cross_entropy(logits, targets, reduction="none", label_smoothing=self.label_smoothing)
        p = torch.exp(-F.cross_entropy(logits, targets, reduction="none"))
        terms = (1 - p) ** self.gamma * ce
        if self.alpha is not None:
            terms = self.alpha.to(terms.dtype)[targets] * terms
        return terms.mean()


def classification_loss(config: ClassificationConfig, num_classes: int) -> nn.Module:
    """The loss ``task.loss`` names (validated by the config), over ``num_classes`` classes."""
    check_focal_alpha(config, num_classes)
    if config.loss == "focal":
        return FocalLoss(config.focal_gamma, config.label_smoothing, config.focal_alpha)
    return nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)


def check_focal_alpha(config: ClassificationConfig, num_classes: int) -> None:
    """Refuse ``task.focal_alpha`` unless it gives ``num_classes`` weights and ``task.loss`` is "focal"."""
    alpha = config.focal_alpha
    if alpha is not None and config.loss != "focal":
        raise ConfigError(f"task.focal_alpha weighs the focal loss, but task.loss is {config.loss!r}: set "
                          "task.loss='focal' (AutoGluon: optim.loss_func='focal_loss') or remove task.focal_alpha.")
    if alpha is not None and len(alpha) != num_classes:
        raise ConfigError(f"task.focal_alpha has {len(alpha)} weight(s) but there are {num_classes} classes: give "
                          "one weight per class, in the classes' sorted order (predictor.class_labels).")


def regression_loss(name: str) -> nn.Module:
    """The loss ``task.loss`` names (validated by the config); "auto" is mean squared error."""
    return {"mae": nn.L1Loss, "huber": nn.HuberLoss}.get(name, nn.MSELoss)()


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


def softmax_distillation_loss(logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Hinton et al. (2015): KL(teacher || student) of the softmax at ``temperature``, times ``temperature ** 2``
    (so its gradients keep their size as the temperature changes)."""
    student = F.log_softmax(logits / temperature, dim=-1)
    teacher = F.log_softmax(teacher_logits.to(logits.dtype) / temperature, dim=-1)
    return F.kl_div(student, teacher, reduction="batchmean", log_target=True) * temperature**2


def sigmoid_distillation_loss(logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Per label column, the binary cross-entropy to the teacher's sigmoid at ``temperature``, times
    ``temperature ** 2`` (the Bernoulli KL divergence plus the teacher's entropy, a constant)."""
    soft = torch.sigmoid(teacher_logits.to(logits.dtype) / temperature)
    return F.binary_cross_entropy_with_logits(logits / temperature, soft) * temperature**2
