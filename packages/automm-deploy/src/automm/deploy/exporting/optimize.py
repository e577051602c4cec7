"""Fused attention in exported graphs, kept only when their outputs still match torch's (``graphs.verify``);
otherwise the plain graph stays.

* onnxruntime's transformer optimizer, the way its authors intend: the transformers models inside a network are
  exported with their eager attention (the pattern the optimizer fuses); the saved graph gets fused Attention,
  SkipLayerNormalization, BiasGelu and EmbedLayerNormalization nodes.
* torch's own ``nn.MultiheadAttention`` self-attention (the FT-Transformer's layers), which that optimizer has no
  pattern for, is exported as onnxruntime's ``com.microsoft.MultiHeadAttention`` kernel between its two
  projections, instead of a dozen reshapes, transposes and batched matrix products per layer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import MethodType
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import DeployError

logger = logging.getLogger("automm.deploy")

# transformers' model_type -> the optimizer's model type that fuses its layers (BERT-like encoders, CLIP towers).
OPTIMIZER_TYPES = {"bert": "bert", "roberta": "bert", "xlm-roberta": "bert", "electra": "bert", "ernie": "bert",
                   "clip": "clip", "clip_text_model": "clip", "clip_vision_model": "clip"}


class Transformer(NamedTuple):
    """What the optimizer needs: its model type, heads and hidden size (0: let it detect them)."""

    model_type: str
    heads: int
    hidden: int


def transformer_in(module: nn.Module) -> Transformer | None:
    """The optimizer's settings for the transformers models in ``module`` (None: none it fuses, or several of
    different types)."""
    found = set()
    for part in module.modules():
        config = getattr(part, "config", None)
        model_type = OPTIMIZER_TYPES.get(str(getattr(config, "model_type", "")))
        if model_type is not None and hasattr(part, "set_attn_implementation"):
            found.add(Transformer(model_type, int(getattr(config, "num_attention_heads", 0) or 0),
                                  int(getattr(config, "hidden_size", 0) or 0)))
    if len({t.model_type for t in found}) != 1:
        return None
    return next(iter(found)) if len(found) == 1 else Transformer(next(iter(found)).model_type, 0, 0)


@contextmanager
def eager_attention(module: nn.Module) -> Iterator[None]:
    """The transformers models in ``module`` with eager attention (restored afterwards): scaled-dot-product
    attention exports as a pattern the optimizer cannot fuse."""
    models = [m for m in module.modules() if hasattr(m, "set_attn_implementation") and hasattr(m, "config")]
    before = [getattr(m.config, "_attn_implementation", None) for m in models]
    try:
        for model in models:
            model.set_attn_implementation("eager")
        yield
    finally:
        for model, implementation in zip(models, before):
            if implementation is not None:
                model.set_attn_implementation(implementation)


def optimize(file: Path, transformer: Transformer | None, check: Callable[[Path], None]) -> str:
    """Replace the graph in ``file`` by its fused form when the optimizer fuses anything and ``check`` (raising
    DeployError) accepts it; returns the optimizer's model type, or "none" for the plain graph."""
    if transformer is None:
        return "none"
    from onnxruntime.transformers.optimizer import optimize_model

    try:
        fused = optimize_model(str(file), model_type=transformer.model_type, num_heads=transformer.heads,
                               hidden_size=transformer.hidden, opt_level=0)
    except Exception as err:  # noqa: BLE001 - the optimizer fails in many ways; the plain graph is still good
        logger.info("automm-deploy: the %s optimizer does not apply to %s (%r); keeping the plain graph.",
                    transformer.model_type, file.name, err)
        return "none"
    if not any(fused.get_fused_operator_statistics().values()):
        return "none"
    candidate = file.with_name(f"{file.stem}.fused.onnx")
    fused.save_model_to_file(str(candidate))
    return transformer.model_type if _replace_if_checked(file, candidate, check, "the fused graph") else "none"


def _replace_if_checked(file: Path, candidate: Path, check: Callable[[Path], None], what: str) -> bool:
    """Move ``candidate`` over ``file`` when ``check`` (raising DeployError) accepts it, else delete it; whether it
    did."""
    try:
        check(candidate)
    except DeployError as err:
        candidate.unlink()
        logger.info("automm-deploy: %s of %s differs from torch (%s); keeping the plain graph.", what, file.name, err)
        return False
    candidate.replace(file)
    return True


class _Attention(torch.autograd.Function):
    """``nn.MultiheadAttention`` without masks, its key the same tensor as its value; exported as onnxruntime's
    MultiHeadAttention. Self-attention (``query is tokens``) projects q, k and v in one product; a query of other
    tokens (the FT-Transformer's last layer: the [CLS] token alone) projects q from it and k, v from ``tokens``."""

    @staticmethod
    def forward(ctx: Any, query: torch.Tensor, tokens: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor,
                out_weight: torch.Tensor, out_bias: torch.Tensor, heads: int, self_attention: bool) -> torch.Tensor:
        rows, width = tokens.shape[0], out_weight.shape[0]

        def split_heads(t: torch.Tensor) -> torch.Tensor:
            return t.reshape(rows, t.shape[1], heads, width // heads).transpose(1, 2)

        q = F.linear(query, weight[:width], bias[:width])
        k, v = F.linear(tokens, weight[width:], bias[width:]).chunk(2, dim=-1)
        attended = F.scaled_dot_product_attention(split_heads(q), split_heads(k), split_heads(v))
        return F.linear(attended.transpose(1, 2).reshape(rows, query.shape[1], width), out_weight, out_bias)

    @staticmethod
    def symbolic(g: Any, query: Any, tokens: Any, weight: Any, bias: Any, out_weight: Any, out_bias: Any,
                 heads: int, self_attention: bool) -> Any:
        def projected(x: Any, w: Any, b: Any) -> Any:
            return g.op("Add", g.op("MatMul", x, g.op("Transpose", w, perm_i=[1, 0])), b)

        if self_attention:
            q, k, v = g.op("Split", projected(tokens, weight, bias), axis_i=-1, outputs=3)
        else:
            width = out_weight.type().sizes()[0]
            sizes = g.op("Constant", value_t=torch.tensor([width, 2 * width]))
            q_w, kv_w = g.op("Split", weight, sizes, axis_i=0, outputs=2)
            q_b, kv_b = g.op("Split", bias, sizes, axis_i=0, outputs=2)
            q = projected(query, q_w, q_b)
            k, v = g.op("Split", projected(tokens, kv_w, kv_b), axis_i=-1, outputs=2)
        attended = g.op("com.microsoft::MultiHeadAttention", q, k, v, num_heads_i=heads)
        attended.setType(query.type())  # [rows, length, width] float, as its query: the contrib op has no shape rule
        return projected(attended, out_weight, out_bias)


def self_attention_layers(module: nn.Module) -> list[nn.MultiheadAttention]:
    """The ``nn.MultiheadAttention`` layers of ``module`` that ``fused_self_attention`` can fuse."""
    return [m for m in module.modules() if isinstance(m, nn.MultiheadAttention) and m.batch_first
            and m._qkv_same_embed_dim and m.in_proj_bias is not None and m.bias_k is None]


@contextmanager
def fused_self_attention(layers: list[nn.MultiheadAttention]) -> Iterator[None]:
    """``layers`` computing mask-free attention with ``_Attention`` when the key is the value (restored
    afterwards); other calls (masks, attention weights wanted, a key other than the value) run their own forward."""

    def forward(layer: nn.MultiheadAttention, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                key_padding_mask: torch.Tensor | None = None, need_weights: bool = True,
                attn_mask: torch.Tensor | None = None, **options: Any) -> tuple[torch.Tensor, None]:
        if key_padding_mask is not None or attn_mask is not None or need_weights or key is not value:
            return type(layer).forward(layer, query, key, value, key_padding_mask, need_weights, attn_mask, **options)
        return _Attention.apply(query, key, layer.in_proj_weight, layer.in_proj_bias, layer.out_proj.weight,
                                layer.out_proj.bias, layer.num_heads, query is key), None

    with forward_replaced(layers, forward):
        yield


@contextmanager
def forward_replaced(layers: Iterable[nn.Module], forward: Callable[..., Any]) -> Iterator[None]:
    """Each of ``layers`` running ``forward(layer, ...)`` instead of its own forward, restored afterwards."""
    replaced = list(layers)
    try:
        for layer in replaced:
            layer.forward = MethodType(forward, layer)
        yield
    finally:
        for layer in replaced:
            del layer.forward


def fuse_self_attention(file: Path, layers: list[nn.MultiheadAttention], save: Callable[[Path], None],
                        check: Callable[[Path], None]) -> bool:
    """Replace the graph in ``file`` by one ``save`` exports with ``layers`` fused (``fused_self_attention``)
    when ``check`` (raising DeployError) accepts it; whether it did."""
    if not layers:
        return False
    candidate = file.with_name(f"{file.stem}.fused.onnx")
    with fused_self_attention(layers):
        save(candidate)
    return _replace_if_checked(file, candidate, check, "the graph with fused self-attention")
