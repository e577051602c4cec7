"""Cross-modal alignment: a training-only objective pulling each row's text and image features together."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from ..models.fusion import ForwardParts
from .module import AuxiliaryObjective

ALIGNMENTS = ("positive_kl", "infonce")


class CrossModalAlignment(AuxiliaryObjective):
    """Learned projections of the text and image features into one space, and a loss on rows holding both.

    ``"positive_kl"``: the symmetric KL divergence between the softmaxed projections of a row's own text and image
    (positive pairs only). ``"infonce"``: CLIP's contrastive loss, each row's text against every image of the batch
    and back. Returns ``weight`` times the loss; zero when too few rows hold both (InfoNCE needs two).

    Example:
        >>> objective = CrossModalAlignment(384, 1280, "infonce", weight=0.1)
        >>> train(net, ..., auxiliary=[objective])  # doctest: +SKIP
    """

    name = "alignment"

    def __init__(self, text_features: int, image_features: int, kind: str, weight: float, dim: int = 128,
                 temperature: float = 0.07):
        super().__init__()
        if kind not in ALIGNMENTS:
            raise ValueError(f"alignment must be one of {ALIGNMENTS}, got {kind!r}")
        self.kind, self.weight, self.temperature = kind, weight, temperature
        self.text = nn.Linear(text_features, dim)
        self.image = nn.Linear(image_features, dim)

    def forward(self, parts: ForwardParts, batch: Any) -> torch.Tensor:
        both = parts.present["text"] & parts.present["image"]
        if int(both.sum()) < (2 if self.kind == "infonce" else 1):
            return parts.embedding.sum() * 0.0  # keeps the graph (and DDP's gradient bookkeeping) intact
        text = self.text(parts.modalities["text"][both])
        image = self.image(parts.modalities["image"][both])
        if self.kind == "positive_kl":
            log_text, log_image = F.log_softmax(text, dim=-1), F.log_softmax(image, dim=-1)
            loss = 0.5 * (F.kl_div(log_text, log_image, log_target=True, reduction="batchmean")
                          + F.kl_div(log_image, log_text, log_target=True, reduction="batchmean"))
        else:
            logits = F.normalize(text, dim=-1) @ F.normalize(image, dim=-1).T / self.temperature
            labels = torch.arange(len(logits), device=logits.device)
            loss = 0.5 * (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels))
        return self.weight * loss
