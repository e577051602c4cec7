"""The ``task`` section of a matching predictor's Config (``hyperparameters={"task.scale": 30}``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from automm.core.errors import ConfigError
from automm.core.plugin import did_you_mean

LOSSES = ("auto", "multiple_negatives_ranking", "contrastive", "online_contrastive", "cosent", "cosine_similarity")


@dataclass(frozen=True)
class MatchConfig:
    """Bi-encoder settings and the loss (one of ``LOSSES``; "auto" picks it from the labels)."""

    aliases: ClassVar[dict[str, str]] = {"optim.loss": "task.loss"}  # where automm-core 0.2.x kept it
    # AutoGluon-MM's matcher losses (its matcher.loss.type) -> ours.
    value_aliases: ClassVar[dict[tuple[str, object], tuple[str, object]]] = {
        ("matcher.loss.type", "contrastive_loss"): ("task.loss", "contrastive"),
        ("matcher.loss.type", "multi_negatives_softmax_loss"): ("task.loss", "multiple_negatives_ranking"),
    }

    loss: str = "auto"
    shared_towers: bool = True  # one tower for both sides when they hold the same modalities
    projection_dim: int = 0  # 0: none, unless the two towers' widths differ (then 256)
    scale: float = 20.0  # similarity scale (1 / temperature) of the ranking and CoSENT losses
    symmetric: bool = False  # positives-only: rank responses for queries and queries for responses
    margin: float = 0.5  # (online) contrastive loss: cosine distance negatives are pushed beyond
    hard_negatives: bool = False  # ranking loss: mine one hard negative response per pair before training

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ConfigError(f"task.loss (formerly optim.loss) for matching must be one of {LOSSES}, got "
                              f"{self.loss!r}.{did_you_mean(self.loss, LOSSES)}")
        if self.projection_dim < 0:
            raise ConfigError(f"task.projection_dim must be >= 0, got {self.projection_dim}.")
        if not self.scale > 0:
            raise ConfigError(f"task.scale must be > 0, got {self.scale}.")
        if not 0 < self.margin <= 2:
            raise ConfigError(f"task.margin must be in (0, 2], got {self.margin}.")
