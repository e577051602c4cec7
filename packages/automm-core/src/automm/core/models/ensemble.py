"""The "ensemble" network kind: member networks whose outputs are merged with fixed weights.

A task names how its outputs merge (``Task.ensemble_combine``): "mean" of the outputs (regression), "softmax"
(the weighted mean of class probabilities, returned as log-probabilities so the task's softmax decoding gives
the mean back) or "sigmoid" (the weighted mean of per-output probabilities, returned as logits).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from ..base.registry import Registry
from .network import NETWORK_KINDS, spec_from_json

Combine = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # ([members, rows, ...], [members]) -> [rows, ...]
COMBINERS: Registry[Combine] = Registry("ensemble combiner")
_EPS = 1e-7  # probabilities are clipped to [eps, 1 - eps] before log / logit, so no output is infinite


def _weighted(values: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    return torch.tensordot(weights.to(values.dtype), values, dims=1)


@COMBINERS.register("mean")
def combine_mean(outputs: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    return _weighted(outputs, weights)


@COMBINERS.register("softmax")
def combine_softmax(outputs: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    return _weighted(outputs.softmax(dim=-1), weights).clamp_min(_EPS).log()


@COMBINERS.register("sigmoid")
def combine_sigmoid(outputs: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    return torch.logit(_weighted(outputs.sigmoid(), weights), eps=_EPS)


def combine_chosen(combine: str, outputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``outputs`` ``[members, rows, ...]`` merged by combiner ``combine`` with ``weights``, reading only members of
    nonzero weight (so one member's NaN outputs do not spoil combinations without it)."""
    chosen = np.flatnonzero(weights)
    merged = COMBINERS.get(combine)(torch.from_numpy(outputs[chosen]), torch.from_numpy(weights[chosen]))
    return merged.numpy()


@dataclass(frozen=True)
class EnsembleSpec:
    """Member network specs (each with its ``kind``), their weights and the combiner, stored as JSON."""

    kind: ClassVar[str] = "ensemble"
    members: list[dict[str, Any]]
    weights: list[float]
    combine: str
    variants: list[str] = field(default_factory=list)  # each member's variant name, for reports

    def __post_init__(self) -> None:
        if not self.members or len(self.weights) != len(self.members):
            raise ValueError("an ensemble needs one weight per member and at least one member")
        if not all(isinstance(w, (int, float)) and w > 0 for w in self.weights) or not math.isclose(
                sum(self.weights), 1.0, rel_tol=1e-6):
            raise ValueError(f"ensemble weights must be positive and sum to 1, got {self.weights}")
        COMBINERS.get(self.combine)

    def to_json(self) -> dict[str, Any]:
        return {"members": self.members, "weights": self.weights, "combine": self.combine, "variants": self.variants}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EnsembleSpec:
        return cls(list(data["members"]), [float(w) for w in data["weights"]], str(data["combine"]),
                   [str(v) for v in data.get("variants", [])])

    def member_specs(self) -> list[Any]:
        return [spec_from_json(member) for member in self.members]

    def build(self, text_folder: Path | None, pretrained: bool) -> EnsembleNet:
        nets = [spec.build(text_folder, pretrained) for spec in self.member_specs()]
        return EnsembleNet(nets, self.weights, self.combine)

    def check_inputs(self, processors: Any) -> None:
        """Raise ValueError unless every member reads exactly what ``processors`` produce."""
        for spec in self.member_specs():
            spec.check_inputs(processors)


NETWORK_KINDS.register(EnsembleSpec.kind)(EnsembleSpec)


class EnsembleNet(nn.Module):
    """Runs every member on a batch and merges their outputs with fixed weights.

    ``embed`` (what ``extract_embedding`` returns) is the highest-weighted member's fused embedding: the members'
    embedding spaces are unrelated, so averaging them would mean nothing.
    """

    def __init__(self, members: list[nn.Module], weights: list[float], combine: str):
        super().__init__()
        self.members = nn.ModuleList(members)
        self.register_buffer("weights", torch.tensor(weights, dtype=torch.float32), persistent=False)
        self.combine = COMBINERS.get(combine)
        self.top = max(range(len(weights)), key=weights.__getitem__)
        self.output_shape = members[0].output_shape
        self.embedding_size = members[self.top].embedding_size

    def forward(self, batch: Any) -> torch.Tensor:
        return self.combine(torch.stack([member(batch) for member in self.members]), self.weights)

    def embed(self, batch: Any) -> torch.Tensor:
        return self.members[self.top].embed(batch)
