"""timm's TensorFlow-style "same" padding is exported as constants that onnxruntime folds into the convolutions."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import onnx
import onnxruntime as ort
import torch
from timm.layers import Conv2dSame
from torch import nn

from automm.deploy.exporting.graphs import write_graph
from automm.deploy.exporting.padding import same_padding_of

SIZE = 32  # even: stride-2 "same" padding is asymmetric (one more pixel after than before)


class SamePaddedImages(nn.Module):
    """A stand-in for a ``tf_`` timm backbone: strided and unit-stride ``Conv2dSame`` layers over the first image
    slot, pooled into logits."""

    outputs = ("logits",)

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.convs = nn.Sequential(Conv2dSame(3, 8, 3, stride=2), nn.ReLU(), Conv2dSame(8, 8, 5, stride=2, groups=8),
                                   nn.ReLU(), Conv2dSame(8, 4, 3, stride=1))

    def forward(self, pixels: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.convs(pixels[:, 0]).mean(dim=(2, 3)) * mask[:, :1]


def _optimised_ops(file: Path, tmp_path: Path) -> Counter:
    """The op types of ``file`` after onnxruntime's extended graph optimisations (the layout-free level)."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(tmp_path / "optimised.onnx")
    ort.InferenceSession(str(file), options, providers=["CPUExecutionProvider"])
    return Counter(node.op_type for node in onnx.load(options.optimized_model_filepath).graph.node)


def test_same_padding_is_constant_and_folded_into_the_convolutions(tmp_path: Path) -> None:
    """The exported graph pads by constants (no Ceil chain, no empty Pad input), onnxruntime's optimised graph has
    no Pad left, the graph equals torch (write_graph's check) and the manifest entry says "static_padding"."""
    processors = SimpleNamespace(numerical=None, categorical=None, text=None, image=SimpleNamespace(size=SIZE))
    module = SamePaddedImages().eval()
    graph = write_graph(lambda names: module, processors, tmp_path / "model.onnx", 17)

    assert graph.optimizer == "static_padding"
    saved = onnx.load(str(tmp_path / "model.onnx"))
    counts = Counter(node.op_type for node in saved.graph.node)
    assert counts["Pad"] == 3 and counts["Ceil"] == 0
    assert all(len(node.input) == 2 for node in saved.graph.node if node.op_type == "Pad")
    assert _optimised_ops(tmp_path / "model.onnx", tmp_path)["Pad"] == 0
    assert all("forward" not in vars(layer) for layer in module.modules())  # the layers' own forward restored


def test_layers_called_at_several_sizes_keep_their_run_time_padding() -> None:
    """A layer that sees two input sizes in one forward pass has no single constant padding: it is left alone."""
    conv = Conv2dSame(3, 3, 3, stride=2)
    twice = nn.Module()
    twice.forward = lambda x: conv(x).sum() + conv(x[..., :-1, :-1]).sum()  # type: ignore[method-assign]
    twice.conv = conv
    assert same_padding_of(twice, (torch.randn(1, 3, SIZE, SIZE),)) == {}
    assert same_padding_of(conv, (torch.randn(1, 3, SIZE, SIZE),)) == {conv: (0, 1, 0, 1)}
