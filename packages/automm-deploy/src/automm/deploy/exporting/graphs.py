"""Networks as ONNX graphs: wrappers that take named tensors (no data-dependent shapes), example inputs, and the
write-then-verify step every graph goes through.

This module is the ``tools`` every exporter of ``automm.core.base.registry.EXPORTERS`` receives: ``write_graph``
(a module over the processors' example inputs -> a checked graph), ``example_inputs``, ``verify`` (onnxruntime
against torch) and ``Graph`` (the manifest's description of a graph). It registers the exporter of core's own
late-fusion network ("multimodal") and of ensembles of them ("ensemble"); task packages register those of their
network kinds.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from automm.core.base.registry import EXPORTERS, ExportedGraphs
from automm.core.plugin import MultiModalBatch as Batch

from ..errors import DeployError
from ..manifest import Graph
from .optimize import eager_attention, fuse_self_attention, optimize, self_attention_layers, transformer_in
from .padding import drop_empty_pad_values, same_padding_of, static_same_padding

# Batch fields in the graph's input order; a network uses those of its modalities.
INPUTS = ("numerical", "categorical", "text_ids", "text_mask", "text_present", "image_pixels", "image_mask")
DYNAMIC_AXES = {"text_ids": {1: "sequence"}, "text_mask": {1: "sequence"}, "image_pixels": {1: "slots"},
                "image_mask": {1: "slots"}}
# Largest difference allowed between a graph's outputs (onnxruntime) and the torch module's on the example rows.
TOLERANCE = 1e-4


class FusedGraph(nn.Module):
    """core's late-fusion network: named tensors -> (head logits, fused embedding)."""

    outputs = ("logits", "embedding")

    def __init__(self, net: nn.Module, names: list[str]):
        super().__init__()
        self.net, self.names = net, names

    def forward(self, *tensors: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        embedding = self.net.embed(Batch(**dict(zip(self.names, tensors))))
        return self.net.head(embedding), embedding


class EnsembleGraph(FusedGraph):
    """An ensemble of late-fusion networks reading the same inputs, as one graph: named tensors -> (the members'
    combined logits, the embedding ``extract_embedding`` returns: the highest-weighted member's)."""

    def forward(self, *tensors: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        batch = Batch(**dict(zip(self.names, tensors)))
        return self.net(batch), self.net.embed(batch)


def example_inputs(processors: Any) -> dict[str, torch.Tensor]:
    """Two rows of valid inputs for the processors' modalities, in ``INPUTS`` order. The second row's text is
    padded and its second image slot empty, so a traced mask cannot be folded away as all ones."""
    inputs: dict[str, torch.Tensor] = {}
    if processors.numerical and processors.numerical.columns:
        width = len(processors.numerical.columns)
        inputs["numerical"] = torch.tensor([[0.5] * width, [-0.5] * width])
    if processors.categorical and processors.categorical.columns:
        inputs["categorical"] = torch.ones(2, len(processors.categorical.columns), dtype=torch.long)
    text = processors.text
    if text is not None:
        recipe = text.to_json()
        start, end = recipe["start_id"], recipe["end_id"]
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


def write_graph(make: Callable[[list[str]], nn.Module], processors: Any, file: Path, opset: int) -> Graph:
    """Export ``make(input_names)`` (a module taking the named tensors) on the processors' example inputs to
    ``file``, check it with ``onnx.checker`` and compare onnxruntime's outputs with torch's; then fuse its
    attention where it applies (``optimize``: a fused graph replaces the plain one only when it compares as well).
    timm's "same" padding is exported as constants at the example's image size (``padding``). The Graph records
    these ("static_padding", "multihead_attention", the transformer optimizer's "bert" / "clip", or "none").

    Raises:
        DeployError: the graph's outputs differ from the module's by more than ``TOLERANCE``.
    """
    import onnx

    inputs = example_inputs(processors)
    names = list(inputs)
    graph = make(names).eval()
    outputs = list(graph.outputs)
    axes = {name: {0: "batch", **DYNAMIC_AXES.get(name, {})} for name in [*names, *outputs]}
    transformer = transformer_in(graph)
    with torch.inference_mode(), _plain_attention():
        expected = graph(*inputs.values())  # as the predictor computes it
    example = tuple(inputs.values())
    pads = same_padding_of(graph, example)

    def save(target: Path) -> None:
        with torch.inference_mode(), warnings.catch_warnings(), _plain_attention(), static_same_padding(pads):
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            with eager_attention(graph) if transformer else nullcontext():
                torch.onnx.export(graph, example, str(target), dynamo=False, opset_version=opset, input_names=names,
                                  output_names=outputs, dynamic_axes=axes)
        drop_empty_pad_values(target)

    save(file)
    onnx.checker.check_model(str(file))
    used = {tensor.name for tensor in onnx.load(str(file), load_external_data=False).graph.input}
    inputs = {name: tensor for name, tensor in inputs.items() if name in used}  # e.g. CLIP ignores text_present
    expected = expected if isinstance(expected, tuple) else (expected,)
    verify(file, inputs, expected, outputs)

    def check(candidate: Path) -> None:
        verify(candidate, inputs, expected, outputs)

    fused = ["static_padding"] if pads else []
    fused += ["multihead_attention"] if fuse_self_attention(file, self_attention_layers(graph), save, check) else []
    fused += [name for name in [optimize(file, transformer, check)] if name != "none"]
    optimizer = "+".join(fused) or "none"
    return Graph(file.name, list(inputs), outputs, opset, optimizer=optimizer)


@contextmanager
def _plain_attention() -> Iterator[None]:
    """Transformer layers without their fused inference kernel (``aten::_transformer_encoder_layer_fwd``, which has
    no ONNX export; the FT-Transformer and the transformer fusion use it), restored afterwards."""
    enabled = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        yield
    finally:
        torch.backends.mha.set_fastpath_enabled(enabled)


def verify(file: Path, inputs: dict[str, torch.Tensor], expected: tuple[torch.Tensor, ...], outputs: list[str],
           ) -> None:
    """Run the graph in ``file`` with onnxruntime on ``inputs`` and compare its ``outputs`` with ``expected``.

    Raises:
        DeployError: the shapes differ, or the values by more than ``TOLERANCE``.
    """
    import onnxruntime as ort

    session = ort.InferenceSession(str(file), providers=["CPUExecutionProvider"])
    found = session.run(outputs, {name: tensor.numpy() for name, tensor in inputs.items()})
    if any(f.shape != tuple(e.shape) for f, e in zip(found, expected)):
        shapes = [(f.shape, tuple(e.shape)) for f, e in zip(found, expected)]
        raise DeployError(f"The exported graph {file.name} gives outputs of other shapes than the network "
                          f"(graph, network: {shapes}); this network does not export exactly. Please report it.")
    difference = max(float(np.abs(f - e.numpy()).max(initial=0.0)) for f, e in zip(found, expected))
    if not difference <= TOLERANCE:
        raise DeployError(f"The exported graph {file.name} differs from the network by {difference:.2e} (more than "
                          f"{TOLERANCE}); this network does not export exactly. Please report it.")


@EXPORTERS.register("multimodal")
def export_multimodal(predictor: Any, folder: Path, opset: int, tools: Any) -> ExportedGraphs:
    """core's late-fusion network as one graph "model" (outputs "logits" and "embedding")."""
    state = predictor.state
    graph = tools.write_graph(lambda names: FusedGraph(state.net, names), state.processors, folder / "model.onnx",
                              opset)
    return ExportedGraphs({"model": graph}, "multimodal", tokenizer=_tokenizer(state.processors.text))


def _tokenizer(text: Any) -> Any:
    """The text processor's tokenizer, or None without text columns."""
    return None if text is None else text.tokenizer


@EXPORTERS.register("ensemble")
def export_ensemble(predictor: Any, folder: Path, opset: int, tools: Any) -> ExportedGraphs:
    """An ensemble of core's late-fusion networks (they share the predictor's processors, so the same inputs) as one
    graph "model", read by the runtime as a "multimodal" network.

    Raises:
        DeployError: a member is another kind of network.
    """
    state = predictor.state
    kinds = sorted({str(member.get("kind", "multimodal")) for member in state.network_spec.members})
    if kinds != ["multimodal"]:
        raise DeployError(f"This ensemble has members of kinds {kinds}; automm-deploy exports ensembles of "
                          "late-fusion ('multimodal') networks as one graph only. Export a single-network predictor "
                          "(fit with hyperparameters={'ensemble.budget': 'off'} and use_ensemble=False).")
    graph = tools.write_graph(lambda names: EnsembleGraph(state.net, names), state.processors, folder / "model.onnx",
                              opset)
    return ExportedGraphs({"model": graph}, "multimodal", tokenizer=_tokenizer(state.processors.text))
