"""The bi-encoder: one tower per side (or one shared), L2-normalised embeddings, cosine similarity."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn

from automm.core.plugin import NETWORK_KINDS, NetworkSpec, SidedBatch, SidedProcessors
from automm.core.plugin import MultiModalBatch as Batch


class PairEncoder(nn.Module):
    """Base of the matching networks: ``encode(side, batch)`` per side, ``forward`` stacks every side.

    A training batch may carry a "negative" side (mined hard negatives): it is encoded like the response.
    """

    sides: dict[str, str]

    def encode(self, side: str, batch: Batch) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, batch: SidedBatch) -> torch.Tensor:
        """``[rows, sides, dim]`` unit vectors, sides in the batch's order."""
        return torch.stack([self.encode(side if side in self.sides else "response", part)
                            for side, part in batch.sides.items()], dim=1)


class BiEncoder(PairEncoder):
    """Encodes each side of a pair with its tower; ``forward`` gives ``[rows, sides, dim]`` unit vectors.

    ``towers`` are core multimodal networks without a classification head (optionally with a linear
    projection as their head); ``side_towers`` maps each side ("query", "response") to its tower, so
    two sides may share one tower.
    """

    def __init__(self, towers: dict[str, nn.Module], side_towers: dict[str, str]):
        super().__init__()
        self.towers = nn.ModuleDict(towers)
        self.side_towers = self.sides = dict(side_towers)
        widths = {tower.output_shape[0] for tower in towers.values()}
        if len(widths) != 1:
            raise ValueError(f"all towers must output the same width, got {sorted(widths)}")
        self.embedding_size = widths.pop()
        self.output_shape = (len(side_towers), self.embedding_size)

    def encode(self, side: str, batch: Batch) -> torch.Tensor:
        """Unit-length embeddings of one side's batch."""
        return nn.functional.normalize(self.towers[self.side_towers[side]](batch), dim=-1)


@NETWORK_KINDS.register("bi_encoder")
@dataclass(frozen=True)
class BiEncoderSpec:
    """network.json of a bi-encoder: each tower's core spec and which tower encodes which side."""

    kind: ClassVar[str] = "bi_encoder"
    towers: dict[str, NetworkSpec]
    side_towers: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"towers": {name: spec.to_json() for name, spec in self.towers.items()},
                "side_towers": dict(self.side_towers)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BiEncoderSpec:
        towers, side_towers = data["towers"], data["side_towers"]
        if not (isinstance(towers, dict) and isinstance(side_towers, dict)
                and set(side_towers.values()) <= set(towers)):
            raise ValueError("side_towers must name towers listed under towers")
        return cls({str(k): NetworkSpec.from_json(v) for k, v in towers.items()}, dict(side_towers))

    def build(self, text_folder: Path | None, pretrained: bool) -> BiEncoder:
        towers = {name: spec.build(text_folder, pretrained) for name, spec in self.towers.items()}
        return BiEncoder(towers, self.side_towers)

    def check_inputs(self, processors: SidedProcessors) -> None:
        if not isinstance(processors, SidedProcessors) or set(processors.sides) != set(self.side_towers):
            raise ValueError("processors.json does not describe the sides of network.json")
        for side, tower in self.side_towers.items():
            self.towers[tower].check_inputs(processors.sides[side])
