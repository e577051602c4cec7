"""Feature-level mixup: mix the fused embeddings of a batch and weigh the two targets' losses alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn


def mixup_loss(head: nn.Module, embedding: torch.Tensor, target: Any, loss: Callable[[Any, Any], torch.Tensor],
               alpha: float) -> torch.Tensor:
    """``lam * loss(out, target) + (1 - lam) * loss(out, target[perm])`` with ``out = head(mixed embedding)``.

    ``lam`` ~ Beta(alpha, alpha) once per batch, ``perm`` a random order of the batch's rows. Works for any task
    loss that averages over rows, since only the embeddings are mixed, never the targets.
    """
    lam = float(torch.distributions.Beta(alpha, alpha).sample())
    order = torch.randperm(embedding.shape[0], device=embedding.device)
    outputs = head(lam * embedding + (1.0 - lam) * embedding[order])
    return lam * loss(outputs, target) + (1.0 - lam) * loss(outputs, target[order])
