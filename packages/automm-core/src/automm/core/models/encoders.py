"""Per-modality encoders: each maps a Batch to ``(features [B, F], present [B])``."""

from __future__ import annotations

import torch
from torch import nn

from ..data.batch import Batch


class TextEncoder(nn.Module):
    """A transformers backbone over the joined text columns, with cls or mean pooling."""

    def __init__(self, backbone: nn.Module, pooling: str = "mean"):
        super().__init__()
        if pooling not in ("cls", "mean"):
            raise ValueError(f"pooling must be 'cls' or 'mean', got {pooling!r}")
        self.backbone, self.pooling = backbone, pooling
        self.out_features = int(backbone.config.hidden_size)

    def forward(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.backbone(input_ids=batch.text_ids, attention_mask=batch.text_mask).last_hidden_state
        if self.pooling == "cls":
            pooled = hidden[:, 0]
        else:
            mask = batch.text_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return pooled, batch.text_present


class ImageEncoder(nn.Module):
    """A timm backbone (``num_classes=0``) averaged over the images present in each row.

    With ``freeze_batchnorm`` the backbone's BatchNorm layers stay in eval mode while training, so their
    running statistics keep the pretrained values (their affine weights still train).
    """

    def __init__(self, backbone: nn.Module, freeze_batchnorm: bool = False):
        super().__init__()
        self.backbone = backbone
        self.freeze_batchnorm = freeze_batchnorm
        self.out_features = int(backbone.num_features)

    def train(self, mode: bool = True) -> ImageEncoder:
        super().train(mode)
        if mode and self.freeze_batchnorm:
            for module in self.backbone.modules():
                if isinstance(module, nn.modules.batchnorm._BatchNorm):
                    module.eval()
        return self

    def forward(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        pixels, mask = batch.image_pixels, batch.image_mask
        rows, slots = mask.shape
        if torch.onnx.is_in_onnx_export():  # no data-dependent shapes in a graph: every slot, empty ones weigh 0
            features = self.backbone(pixels.flatten(0, 1)).view(rows, slots, self.out_features)
        else:
            features = pixels.new_zeros(rows, slots, self.out_features)
            if mask.any():
                features[mask] = self.backbone(pixels[mask]).to(features.dtype)
        weights = mask.unsqueeze(-1).to(features.dtype)
        pooled = (features * weights).sum(1) / weights.sum(1).clamp(min=1.0)
        return pooled, mask.any(dim=1)


class _CategoricalEmbeddings(nn.Module):
    """One embedding table per categorical column, stored as a single table with offsets."""

    def __init__(self, cardinalities: list[int], dim: int):
        super().__init__()
        offsets = torch.tensor([0, *cardinalities[:-1]]).cumsum(0) if cardinalities else torch.zeros(0)
        self.register_buffer("offsets", offsets.long(), persistent=False)
        self.table = nn.Embedding(max(sum(cardinalities), 1), dim)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:  # [B, C] -> [B, C, dim]
        return self.table(ids + self.offsets)


class MLPTabularEncoder(nn.Module):
    """Numeric features and categorical embeddings, concatenated, through an MLP."""

    def __init__(self, num_numerical: int, cardinalities: list[int], hidden_size: int, num_layers: int,
                 dropout: float, embedding_dim: int = 16):
        super().__init__()
        self.embeddings = _CategoricalEmbeddings(cardinalities, embedding_dim) if cardinalities else None
        width = num_numerical + embedding_dim * len(cardinalities)
        layers: list[nn.Module] = []
        for _ in range(num_layers):
            layers += [nn.Linear(width, hidden_size), nn.GELU(), nn.LayerNorm(hidden_size), nn.Dropout(dropout)]
            width = hidden_size
        self.mlp = nn.Sequential(*layers)
        self.out_features = width

    def forward(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        parts = [batch.numerical] if batch.numerical is not None else []
        if self.embeddings is not None:
            parts.append(self.embeddings(batch.categorical).flatten(1))
        x = torch.cat(parts, dim=1)
        return self.mlp(x), torch.ones(x.shape[0], dtype=torch.bool, device=x.device)


class FTTransformerTabularEncoder(nn.Module):
    """FT-Transformer style: one token per column plus a [CLS] token, through transformer layers."""

    def __init__(self, num_numerical: int, cardinalities: list[int], hidden_size: int, num_layers: int,
                 dropout: float, num_heads: int = 8):
        super().__init__()
        self.numeric_weight = nn.Parameter(torch.randn(num_numerical, hidden_size) * 0.02)
        self.numeric_bias = nn.Parameter(torch.zeros(num_numerical, hidden_size))
        self.embeddings = _CategoricalEmbeddings(cardinalities, hidden_size) if cardinalities else None
        self.cls = nn.Parameter(torch.randn(1, 1, hidden_size) * 0.02)
        layer = nn.TransformerEncoderLayer(hidden_size, num_heads, hidden_size * 2, dropout,
                                           batch_first=True, norm_first=True)
        self.transformer = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(hidden_size)
        self.out_features = hidden_size

    def forward(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        tokens = []
        if batch.numerical is not None:
            tokens.append(batch.numerical.unsqueeze(-1) * self.numeric_weight + self.numeric_bias)
        if self.embeddings is not None:
            tokens.append(self.embeddings(batch.categorical))
        x = torch.cat(tokens, dim=1)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1)
        *layers, last = self.transformer.layers
        for layer in layers:
            x = layer(x)
        out = self.norm(_cls_only(last, x)[:, 0])
        return out, torch.ones(x.shape[0], dtype=torch.bool, device=x.device)


def _cls_only(layer: nn.TransformerEncoderLayer, x: torch.Tensor) -> torch.Tensor:
    """``layer(x)[:, :1]`` for a pre-norm layer, computed for the [CLS] token alone: it attends to every token,
    but no other token's output is used after the last layer (as in the FT-Transformer paper), so the feed-forward
    and output projection run on one token instead of all."""
    tokens = layer.norm1(x)
    attended = layer.self_attn(tokens[:, :1], tokens, tokens, need_weights=False)[0]
    cls = x[:, :1] + layer.dropout1(attended)
    return cls + layer.dropout2(layer.linear2(layer.dropout(layer.activation(layer.linear1(layer.norm2(cls))))))
