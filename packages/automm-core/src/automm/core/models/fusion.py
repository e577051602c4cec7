"""Late fusion of per-modality features, with missing-modality handling (learned embeddings or the encoded empty
input) and modality dropout."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..data.batch import Batch


@dataclass
class ForwardParts:
    """What one forward pass computed, for training objectives beyond the task's loss (see ``AuxiliaryObjective``).

    ``modalities`` are each encoder's features after missing-modality substitution and modality dropout;
    ``present`` says which rows held that modality (before dropout).
    """

    modalities: dict[str, torch.Tensor]
    present: dict[str, torch.Tensor]
    embedding: torch.Tensor
    outputs: torch.Tensor


class MultiModalNet(nn.Module):
    """Encoders -> (fusion when more than one modality) -> head (none when ``output_size`` is None).

    With ``missing_modality="learnable"`` a row that lacks a modality (no readable image, no text) uses that
    modality's learnable "missing" embedding, and during training whole modalities are dropped at
    ``modality_dropout``; with ``"impute"`` the encoder's output for the empty input is used as it is.
    """

    def __init__(self, encoders: dict[str, nn.Module], fusion: nn.Module | None, output_size: int | None,
                 modality_dropout: float = 0.0, head_dropout: float = 0.1, missing_modality: str = "learnable"):
        super().__init__()
        if missing_modality not in ("learnable", "impute"):
            raise ValueError(f"missing_modality must be 'learnable' or 'impute', got {missing_modality!r}")
        if missing_modality == "impute" and modality_dropout > 0:
            raise ValueError("modality_dropout substitutes the learnable missing embedding: it needs "
                             "missing_modality='learnable'")
        self.missing_modality = missing_modality
        self.encoders = nn.ModuleDict(encoders)
        self.missing = nn.ParameterDict(
            {name: nn.Parameter(torch.zeros(enc.out_features)) for name, enc in encoders.items()}
        )
        self.fusion = fusion
        self.modality_dropout = modality_dropout
        width = fusion.out_features if fusion is not None else next(iter(encoders.values())).out_features
        # output_size None: no head; the network outputs its embedding (a tower of a bi-encoder, for example).
        self.head = (nn.Sequential(nn.Dropout(head_dropout), nn.Linear(width, output_size))
                     if output_size is not None else nn.Identity())
        self.embedding_size = width
        self.output_shape = (output_size if output_size is not None else width,)  # of one row

    def encode(self, batch: Batch) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """Per-modality features (a missing or dropped modality replaced by its learnable embedding unless
        imputing), and which rows held each modality."""
        features, presence = {}, {}
        for name, encoder in self.encoders.items():
            value, present = encoder(batch)
            presence[name] = present
            if self.missing_modality == "impute":
                features[name] = value
                continue
            if self.training and self.modality_dropout > 0 and len(self.encoders) > 1:
                present = present & (torch.rand_like(value[:, 0]) >= self.modality_dropout)
            features[name] = torch.where(present.unsqueeze(-1), value, self.missing[name].to(value.dtype))
        return features, presence

    def fuse(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        values = list(features.values())
        return self.fusion(values) if self.fusion is not None else values[0]

    def embed(self, batch: Batch) -> torch.Tensor:
        """The fused representation of each row (what ``extract_embedding`` returns)."""
        return self.fuse(self.encode(batch)[0])

    def forward(self, batch: Batch) -> torch.Tensor:
        return self.head(self.embed(batch))

    def forward_parts(self, batch: Batch) -> ForwardParts:
        """``forward`` keeping its intermediate results."""
        features, presence = self.encode(batch)
        embedding = self.fuse(features)
        return ForwardParts(features, presence, embedding, self.head(embedding))


class MLPFusion(nn.Module):
    """Project each modality to ``hidden_size``, concatenate, one more MLP layer."""

    def __init__(self, in_features: list[int], hidden_size: int, dropout: float):
        super().__init__()
        self.projections = nn.ModuleList(nn.Linear(f, hidden_size) for f in in_features)
        self.mlp = nn.Sequential(nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden_size * len(in_features), hidden_size),
                                 nn.GELU(), nn.LayerNorm(hidden_size))
        self.out_features = hidden_size

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        return self.mlp(torch.cat([p(f) for p, f in zip(self.projections, features)], dim=1))


class TransformerFusion(nn.Module):
    """One token per modality through two transformer layers, mean-pooled."""

    def __init__(self, in_features: list[int], hidden_size: int, dropout: float, num_layers: int = 2):
        super().__init__()
        self.projections = nn.ModuleList(nn.Linear(f, hidden_size) for f in in_features)
        layer = nn.TransformerEncoderLayer(hidden_size, 4, hidden_size * 2, dropout, batch_first=True,
                                           norm_first=True)
        self.transformer = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(hidden_size)
        self.out_features = hidden_size

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        tokens = torch.stack([p(f) for p, f in zip(self.projections, features)], dim=1)
        return self.norm(self.transformer(tokens).mean(dim=1))


class L2ConcatFusion(nn.Module):
    """Each modality scaled to unit length, then concatenated; no parameters, so frozen features stay as they are.

    Applied to a single modality too (``fuses_one_modality``). A missing modality (its all-zero learnable
    embedding, untrained) contributes zeros. ``hidden_size`` and ``dropout`` are accepted and do not apply.
    """

    fuses_one_modality = True

    def __init__(self, in_features: list[int], hidden_size: int = 0, dropout: float = 0.0):
        super().__init__()
        self.out_features = sum(in_features)

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        return torch.cat([nn.functional.normalize(f, dim=1) for f in features], dim=1)
