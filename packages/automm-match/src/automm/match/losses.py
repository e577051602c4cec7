"""Loss choice for a bi-encoder, using sentence-transformers' losses on our embeddings.

"auto" picks what the labels call for: positive pairs only -> multiple-negatives ranking (in-batch
negatives, symmetric if asked, plus mined hard negatives when present); binary labels -> online
contrastive; graded scores -> CoSENT.
"""

from __future__ import annotations

import torch
from torch import nn

from automm.core.errors import ConfigError

from .config import MatchConfig

AUTO_LOSS = {"positive": "multiple_negatives_ranking", "binary": "online_contrastive", "graded": "cosent"}
# Which label kinds each loss can learn from.
FITS = {
    "multiple_negatives_ranking": ("positive", "binary"),
    "contrastive": ("binary",),
    "online_contrastive": ("binary",),
    "cosent": ("binary", "graded"),
    "cosine_similarity": ("binary", "graded"),
}


class PairLoss(nn.Module):
    """``loss(outputs [B, sides, D], targets [B, 3])`` through a sentence-transformers loss.

    Targets hold (label, query group, response group); the embeddings of every side are passed to the
    loss in order (query, response, negative...), as sentence-transformers' ``compute_loss_from_embeddings``
    expects.
    """

    def __init__(self, name: str, inner: nn.Module, positives_only: bool):
        super().__init__()
        self.name, self.inner, self.positives_only = name, inner, positives_only

    def forward(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        labels = targets[:, 0]
        if self.positives_only:  # ranking losses learn from matching pairs; rows labelled 0 would be false positives
            keep = labels > 0.5
            if keep.sum() < 2:
                return outputs.sum() * 0.0
            outputs, labels = outputs[keep], labels[keep]
        embeddings = [outputs[:, side] for side in range(outputs.shape[1])]
        return self.inner.compute_loss_from_embeddings(embeddings, labels)


def chosen_loss(name: str, kind: str) -> str:
    """The loss ``name`` stands for with labels of ``kind`` ("auto" picks one)."""
    return AUTO_LOSS[kind] if name == "auto" else name


def build_loss(name: str, kind: str, config: MatchConfig) -> PairLoss:
    """The loss ``name`` (or the one "auto" picks for labels of ``kind``)."""
    from sentence_transformers.sentence_transformer import losses

    name = chosen_loss(name, kind)
    if kind not in FITS[name]:
        raise ConfigError(f"task.loss={name!r} cannot learn from {kind} labels; use one of "
                          f"{[n for n, kinds in FITS.items() if kind in kinds]} or 'auto'.")
    if name == "multiple_negatives_ranking":
        directions = ("query_to_doc", "doc_to_query") if config.symmetric else ("query_to_doc",)
        inner = losses.MultipleNegativesRankingLoss(None, scale=config.scale, directions=directions,
                                                    partition_mode="per_direction" if config.symmetric else "joint")
    elif name == "contrastive":
        inner = losses.ContrastiveLoss(None, margin=config.margin)
    elif name == "online_contrastive":
        inner = losses.OnlineContrastiveLoss(None, margin=config.margin)
    elif name == "cosent":
        inner = losses.CoSENTLoss(None, scale=config.scale)
    else:
        inner = losses.CosineSimilarityLoss(None)
    return PairLoss(name, inner, positives_only=name == "multiple_negatives_ranking")
