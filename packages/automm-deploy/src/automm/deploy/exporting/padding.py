"""TensorFlow-style "same" padding as constants in an exported graph, so onnxruntime folds it into the convolution.

timm's ``Conv2dSame`` (the ``tf_`` models, core's default EfficientNet-Lite0 among them) computes its padding from
the input's size at run time. Exported, that is a chain of Shape / Ceil / Sub nodes feeding a Pad before each such
convolution, which onnxruntime cannot fold: on CPU the Pad and the layout conversions around it took 44 % of the
default image graph's time. A graph's images always have the export's size (the processors resize every image to
it), so each layer's padding is the constant it computes at that size: exported as a constant zero Pad, which
onnxruntime's PadFusion merges into the convolution's own ``pads``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .optimize import forward_replaced

Pads = tuple[int, int, int, int]  # F.pad's order: left, right, top, bottom


def same_padding_of(module: nn.Module, example: tuple[torch.Tensor, ...]) -> dict[nn.Module, Pads]:
    """The padding each of ``module``'s ``Conv2dSame`` layers computes on ``example`` (a layer called at several
    sizes keeps its run-time padding and is left out)."""
    from timm.layers import Conv2dSame
    from timm.layers.padding import pad_same_arg

    layers = [m for m in module.modules() if isinstance(m, Conv2dSame)]
    if not layers:
        return {}
    sizes: dict[nn.Module, set[tuple[int, int]]] = {layer: set() for layer in layers}

    def record(layer: nn.Module, arguments: tuple[torch.Tensor, ...]) -> None:
        sizes[layer].add((int(arguments[0].shape[-2]), int(arguments[0].shape[-1])))

    hooks = [layer.register_forward_pre_hook(record) for layer in layers]
    try:
        with torch.inference_mode():
            module(*example)
    finally:
        for hook in hooks:
            hook.remove()
    return {layer: tuple(pad_same_arg(list(next(iter(seen))), list(layer.weight.shape[-2:]), list(layer.stride),
                                      list(layer.dilation)))
            for layer, seen in sizes.items() if len(seen) == 1}


@contextmanager
def static_same_padding(pads: dict[nn.Module, Pads]) -> Iterator[None]:
    """Each layer of ``pads`` (``same_padding_of``) padding by its constants, then convolving unpadded (restored
    afterwards): the same values, exported as a constant Pad."""

    def forward(layer: Any, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(F.pad(x, pads[layer]), layer.weight, layer.bias, layer.stride, 0, layer.dilation, layer.groups)

    with forward_replaced(pads, forward):
        yield


def drop_empty_pad_values(file: Path) -> None:
    """Remove the empty ``constant_value`` input torch writes on Pad nodes (an absent optional input, the same as
    none): onnxruntime's PadFusion fuses only a Pad whose inputs are all constants, and counts the empty one."""
    import onnx

    model = onnx.load(str(file), load_external_data=False)
    changed = False
    for node in model.graph.node:
        if node.op_type == "Pad" and len(node.input) == 3 and node.input[2] == "":
            del node.input[2]
            changed = True
    if changed:
        onnx.save(model, str(file))
