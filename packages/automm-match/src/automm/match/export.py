"""Export a matcher: as ONNX graphs for automm-deploy (one per tower, registered for the "bi_encoder" and "clip"
network kinds), or a text matcher as a sentence-transformers model folder (``SentenceTransformer(path)`` loads it).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

from automm.core.base.registry import ExportedGraphs
from automm.core.errors import ConfigError
from automm.core.plugin import MultiModalBatch as Batch
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


class SideGraph(nn.Module):
    """One side of a matcher (bi-encoder tower, or CLIP's text or vision tower): named tensors -> its unit-length
    embedding, as ``net.encode(side, batch)`` gives it."""

    outputs = ("embedding",)

    def __init__(self, net: nn.Module, names: list[str], side: str):
        super().__init__()
        self.net, self.names, self.side = net, names, side

    def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
        return self.net.encode(self.side, Batch(**dict(zip(self.names, tensors))))


def export_graphs(predictor: Any, folder: Path, opset: int, tools: Any) -> ExportedGraphs:
    """automm-deploy's exporter of a matcher: one graph per tower (sides sharing a tower share its graph), each
    written and checked by ``tools.write_graph``; the runtime embeds each side with its graph ("sides" feed)."""
    state = predictor.state
    net, processors = state.net, state.processors
    sides = dict(net.side_towers) if hasattr(net, "side_towers") else {side: side for side in processors.sides}
    first = {graph: side for side, graph in reversed(sides.items())}  # graph -> a side it embeds
    graphs = {graph: tools.write_graph(lambda names, side=side: SideGraph(net, names, side), processors.sides[side],
                                       folder / f"{graph}.onnx", opset)
              for graph, side in first.items()}
    text = next((p.text for p in processors.sides.values() if p.text is not None), None)
    return ExportedGraphs(graphs, "sides", sides, None if text is None else text.tokenizer)
