"""Networks as ONNX graphs: wrappers that take named tensors (no data-dependent shapes), example inputs, and the
write-then-verify step every graph goes through."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from automm.core.data.batch import Batch

from ..errors import DeployError
from ..manifest import Graph

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


class SideGraph(nn.Module):
    """One side of a matcher (bi-encoder tower, or CLIP's text or vision tower): named tensors -> its unit-length
    embedding, as ``net.encode(side, batch)`` gives it."""

    outputs = ("embedding",)

    def __init__(self, net: nn.Module, names: list[str], side: str):
        super().__init__()
        self.net, self.names, self.side = net, names, side

    def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
        return self.net.encode(self.side, Batch(**dict(zip(self.names, tensors))))


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
    """Export ``make(input_names)`` (a FusedGraph or SideGraph) on the processors' example inputs to ``file``, check
    it with ``onnx.checker`` and compare onnxruntime's outputs with torch's.

    Raises:
        DeployError: the graph's outputs differ from the module's by more than ``TOLERANCE``.
    """
    import onnx

    inputs = example_inputs(processors)
    names = list(inputs)
    graph = make(names).eval()
    outputs = list(graph.outputs)
    axes = {name: {0: "batch", **DYNAMIC_AXES.get(name, {})} for name in [*names, *outputs]}
    with torch.inference_mode(), warnings.catch_warnings(), _plain_attention():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        torch.onnx.export(graph, tuple(inputs.values()), str(file), dynamo=False, opset_version=opset,
                          input_names=names, output_names=outputs, dynamic_axes=axes)
        expected = graph(*inputs.values())
    onnx.checker.check_model(str(file))
    used = {tensor.name for tensor in onnx.load(str(file), load_external_data=False).graph.input}
    inputs = {name: tensor for name, tensor in inputs.items() if name in used}  # e.g. CLIP ignores text_present
    _verify(file, inputs, expected if isinstance(expected, tuple) else (expected,), outputs)
    return Graph(file.name, list(inputs), outputs, opset)


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


def _verify(file: Path, inputs: dict[str, torch.Tensor], expected: tuple[torch.Tensor, ...], outputs: list[str],
            ) -> None:
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


def write_segmenter(predictor: Any, file: Path, opset: int) -> Graph:
    """automm-segment's own export of the segmenter (letterboxed "images", and with prompt columns SAM's
    "prompts", in; "logits" out), then the same check of onnxruntime against torch on two random images (with
    prompts: twice, at two prompt counts, as the prompt axis is dynamic)."""
    from automm.segment.onnx_export import INPUT_NAMES, OUTPUT_NAMES, PROMPT_INPUT, export_onnx

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        export_onnx(predictor, file, opset_version=opset)
    size = predictor.state.processors.image_size
    images = torch.rand(2, 3, size, size, generator=torch.Generator().manual_seed(0))
    model = predictor.state.net.model.eval()
    if predictor.state.processors.prompt_columns:
        names, examples = [*INPUT_NAMES, PROMPT_INPUT], [(images, prompts) for prompts in example_prompts(size)]
    else:
        names, examples = list(INPUT_NAMES), [(images,)]
    for inputs in examples:
        with torch.inference_mode():
            expected = model(*inputs)
        _verify(file, dict(zip(names, inputs)), (expected,), list(OUTPUT_NAMES))
    return Graph(file.name, names, list(OUTPUT_NAMES), opset)


def example_prompts(size: int) -> list[torch.Tensor]:
    """SAM prompts for two rows of a ``size x size`` input, in automm-segment's ``[B, N, 3]`` layout: points only
    (a padding entry ends each row), then points and a box."""
    from automm.segment.prompts import BACKGROUND, BOTTOM_RIGHT, FOREGROUND, PAD, TOP_LEFT

    s = float(size)
    points = torch.tensor([[[s / 4, s / 3, FOREGROUND], [0, 0, PAD]], [[s / 2, s / 2, BACKGROUND], [0, 0, PAD]]])
    boxed = torch.tensor([[[s / 3, s / 2, FOREGROUND], [s / 8, s / 4, BACKGROUND], [s / 8, s / 8, TOP_LEFT],
                           [s / 2, s * 3 / 4, BOTTOM_RIGHT]],
                          [[s / 2, s / 3, BACKGROUND], [s / 2, s / 2, FOREGROUND], [s / 4, s / 4, TOP_LEFT],
                           [s * 7 / 8, s * 7 / 8, BOTTOM_RIGHT]]])
    return [points, boxed]


def write_detector(predictor: Any, file: Path, opset: int) -> Graph:
    """automm-detect's own export of the detector (one letterboxed image in; boxes, scores, labels out, after the
    graph's NMS), then the check of onnxruntime against torch on a random image."""
    from automm.detect.onnx_export import INPUT_NAMES, OUTPUT_NAMES, export_onnx

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer and torchvision export warnings
        export_onnx(predictor, file, opset_version=opset)
    size = predictor.state.processors.image_size
    image = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        found = predictor.state.net.model.eval()(image)[0]
    _verify(file, {INPUT_NAMES[0]: image}, tuple(found[name] for name in OUTPUT_NAMES), list(OUTPUT_NAMES))
    return Graph(file.name, list(INPUT_NAMES), list(OUTPUT_NAMES), opset)
