"""The "multimodal" network (core's late-fusion net) as an ONNX graph: named tensors in, logits and embedding out."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from automm.core.data.batch import Batch

# Batch fields in the graph's input order; a predictor uses those of its modalities.
INPUTS = ("numerical", "categorical", "text_ids", "text_mask", "text_present", "image_pixels", "image_mask")
OUTPUTS = ("logits", "embedding")
DYNAMIC_AXES = {"text_ids": {1: "sequence"}, "text_mask": {1: "sequence"}, "image_pixels": {1: "slots"},
                "image_mask": {1: "slots"}}


class MultimodalGraph(nn.Module):
    """``forward(*tensors)`` in the order of ``names`` -> (head logits, fused embedding)."""

    def __init__(self, net: nn.Module, names: list[str]):
        super().__init__()
        self.net, self.names = net, names

    def forward(self, *tensors: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        embedding = self.net.embed(Batch(**dict(zip(self.names, tensors))))
        return self.net.head(embedding), embedding


def example_inputs(processors: Any) -> dict[str, torch.Tensor]:
    """Two rows of valid inputs for the processors' modalities; the second row's text is padded, so a traced
    attention mask cannot be folded away as all ones."""
    inputs: dict[str, torch.Tensor] = {}
    if processors.numerical and processors.numerical.columns:
        inputs["numerical"] = torch.tensor([[0.5] * len(processors.numerical.columns),
                                            [-0.5] * len(processors.numerical.columns)])
    if processors.categorical and processors.categorical.columns:
        inputs["categorical"] = torch.ones(2, len(processors.categorical.columns), dtype=torch.long)
    text = processors.text
    if text is not None:
        start, end = (text.to_json()[key] for key in ("start_id", "end_id"))
        token = int(text.tokenizer("a", add_special_tokens=False)["input_ids"][0])
        first = [t for t in (start, token, token, end) if t is not None]
        second = [t for t in (start, token, end) if t is not None] + [text.pad_id]
        inputs["text_ids"] = torch.tensor([first, second])
        inputs["text_mask"] = torch.tensor([[1] * len(first), [1] * (len(second) - 1) + [0]])
        inputs["text_present"] = torch.tensor([True, True])
    if processors.image is not None:
        size = processors.image.size
        inputs["image_pixels"] = torch.randn(2, 2, 3, size, size, generator=torch.Generator().manual_seed(0))
        inputs["image_mask"] = torch.tensor([[True, True], [True, False]])
    return inputs


def export_graph(state: Any, file: str, opset: int) -> tuple[list[str], dict[str, torch.Tensor]]:
    """Write the network of ``state`` to ``file``; returns the input names and the example inputs used."""
    inputs = example_inputs(state.processors)
    names = [name for name in INPUTS if name in inputs]
    graph = MultimodalGraph(state.net, names).eval()
    axes = {name: {0: "batch", **DYNAMIC_AXES.get(name, {})} for name in [*names, *OUTPUTS]}
    with torch.inference_mode():
        torch.onnx.export(graph, tuple(inputs[n] for n in names), file, dynamo=False, opset_version=opset,
                          input_names=names, output_names=list(OUTPUTS), dynamic_axes=axes)
    return names, inputs
