"""onnxruntime's transformer optimizer on an exported graph, the way its authors intend: the transformers
models inside a network are exported with their eager attention (the pattern the optimizer fuses), the saved
graph gets fused Attention, SkipLayerNormalization, BiasGelu and EmbedLayerNormalization nodes, and it is kept
only when its outputs still match torch's (``graphs.verify``); otherwise the plain graph stays.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

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
    try:
        check(candidate)
    except DeployError as err:
        candidate.unlink()
        logger.info("automm-deploy: the fused %s graph differs from torch (%s); keeping the plain graph.",
                    file.name, err)
        return "none"
    candidate.replace(file)
    return transformer.model_type

