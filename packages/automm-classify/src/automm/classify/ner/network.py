"""The NER network: a transformers text encoder tagging each token, with the row's other columns added in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn

from automm.core.plugin import NETWORK_KINDS, MultiModalNet, NetworkSpec, load_text_backbone

from .processor import NERBatch, NERProcessor


class NERNet(nn.Module):
    """Token states of ``backbone``, plus (when the table has other used columns) the row's fused vector of those
    columns projected to the token width and added to every token, then a linear tag classifier.

    Training: logits ``[B, T, tags]``. Inference: per row, over its tokens, the best tag id, its probability, every
    tag's probability and the tokens' character offsets (``output_shape`` None: rows differ in length).
    """

    output_shape = None

    def __init__(self, backbone: nn.Module, num_tags: int, context: MultiModalNet | None = None,
                 dropout: float = 0.1):
        super().__init__()
        self.backbone = backbone
        width = int(backbone.config.hidden_size)
        self.context = context
        self.context_projection = nn.Linear(context.embedding_size, width) if context is not None else None
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(width, num_tags))
        self.embedding_size = width

    def token_states(self, batch: NERBatch) -> torch.Tensor:
        states = self.backbone(input_ids=batch.ids, attention_mask=batch.mask).last_hidden_state
        if self.context is not None:
            states = states + self.context_projection(self.context.embed(batch.context)).unsqueeze(1)
        return states

    def forward(self, batch: NERBatch) -> Any:
        logits = self.head(self.token_states(batch))
        if self.training:
            return logits
        proba = logits.float().softmax(-1)
        confidence, tags = proba.max(-1)
        lengths = batch.mask.sum(1).tolist()
        return [{"tags": t[:n], "confidence": c[:n], "offsets": o[:n], "proba": p[:n]}
                for t, c, o, p, n in zip(tags, confidence, batch.offsets, proba, lengths)]

    def embed(self, batch: NERBatch) -> torch.Tensor:
        """Mean of the row's token states (the other columns included): ``extract_embedding``'s vector."""
        mask = batch.mask.unsqueeze(-1).to(torch.float32)
        return (self.token_states(batch).float() * mask).sum(1) / mask.sum(1).clamp(min=1.0)


class TokenLoss(nn.Module):
    """Cross-entropy over tokens, skipping special tokens and padding (tag ``IGNORE``)."""

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(logits.flatten(0, 1).float(), target.flatten(), ignore_index=-100)


@NETWORK_KINDS.register("ner")
@dataclass(frozen=True)
class NERSpec:
    """network.json of a NER network: tag count, dropout and core's spec of the other columns' encoders."""

    kind: ClassVar[str] = "ner"
    num_tags: int
    dropout: float = 0.1
    context: dict[str, Any] | None = None  # a core NetworkSpec (output_size None) without text

    def to_json(self) -> dict[str, Any]:
        return {"num_tags": self.num_tags, "dropout": self.dropout, "context": self.context}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NERSpec:
        num_tags, dropout, context = data["num_tags"], float(data.get("dropout", 0.1)), data.get("context")
        if not (isinstance(num_tags, int) and num_tags >= 3 and 0 <= dropout < 1):
            raise ValueError("ner networks need num_tags >= 3 and dropout in [0, 1)")
        if context is not None and not (isinstance(context, dict) and context.get("text") is None):
            raise ValueError("ner context must be a network spec without text")
        return cls(num_tags, dropout, context)

    def build(self, text_folder: Path | None, pretrained: bool) -> NERNet:
        context = NetworkSpec.from_json(self.context).build(None, pretrained) if self.context else None
        return NERNet(load_text_backbone(text_folder, pretrained), self.num_tags, context, self.dropout)

    def check_inputs(self, processors: Any) -> None:
        if not (isinstance(processors, NERProcessor) and len(processors.scheme) == self.num_tags
                and (processors.context is None) == (self.context is None)):
            raise ValueError("processors.json does not describe the inputs of network.json")
        if self.context is not None:
            NetworkSpec.from_json(self.context).check_inputs(processors.context)
