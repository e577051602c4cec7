"""Export a text matcher as a sentence-transformers model folder (``SentenceTransformer(path)`` loads it)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from torch import nn

from automm.core.errors import ConfigError
from automm.core.plugin import check_save_target


def export_sentence_transformer(predictor: Any, path: str | Path, side: str = "query") -> Path:
    """Write the ``side`` tower of a fitted text matcher as a sentence-transformers model to ``path``.

    The folder holds the backbone, tokenizer, pooling, the projection (as a ``Dense`` module) and
    normalisation, so ``SentenceTransformer(path).encode(texts)`` gives this predictor's embeddings.

    Example:
        >>> export_sentence_transformer(predictor, "my_matcher_st")
        >>> SentenceTransformer("my_matcher_st").encode(["a question"])
    """
    from sentence_transformers import SentenceTransformer, models

    state = predictor.state
    net, processors = state.net, state.processors
    if not hasattr(net, "towers") or side not in getattr(net, "side_towers", {}):
        raise ConfigError(f"Only a text bi-encoder matcher exports to sentence-transformers; this is a "
                          f"{state.problem_type!r} predictor with network {type(net).__name__}.")
    tower, side_processors = net.towers[net.side_towers[side]], processors.sides[side]
    if set(tower.encoders) != {"text"} or len(side_processors.text.columns) != 1:
        raise ConfigError(f"The {side} side must be exactly one text column to export as a sentence-transformers "
                          f"model; it reads {side_processors.columns}.")
    encoder = tower.encoders["text"]
    path = Path(path)
    check_save_target(path)
    with tempfile.TemporaryDirectory() as tmp:
        encoder.backbone.save_pretrained(tmp)
        side_processors.text.tokenizer.save_pretrained(tmp)
        modules: list[nn.Module] = [models.Transformer(tmp, max_seq_length=side_processors.text.max_length),
                                    models.Pooling(encoder.out_features, pooling_mode=encoder.pooling)]
        if isinstance(tower.head, nn.Sequential):
            linear = tower.head[-1]
            modules.append(models.Dense(linear.in_features, linear.out_features, activation_function=nn.Identity(),
                                        init_weight=linear.weight.detach().clone(),
                                        init_bias=linear.bias.detach().clone()))
        modules.append(models.Normalize())
        model = SentenceTransformer(modules=modules, device="cpu")
        staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.export-", dir=path.parent if path.parent.exists()
                                        else None))
        model.save(str(staging))
    if path.exists():
        shutil.rmtree(path)
    shutil.move(str(staging), str(path))
    return path
