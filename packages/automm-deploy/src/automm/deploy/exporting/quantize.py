"""INT8 dynamic quantisation of exported graphs for the CPU runtime (onnxruntime.quantization).

Weights of matrix products (and embedding tables) become int8, activations are quantised on the fly; the
accuracy change is measured, not assumed: ``benchmarks/deploy.py`` reports it per dataset.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..manifest import Graph

# Ops onnxruntime's CPU provider runs quantised: transformer and MLP matrix products, embedding lookups.
# Convolutions stay float (ConvInteger is slower than float convolution on most CPUs).
QUANTIZED_OPS = ["MatMul", "Attention", "Gather"]


def quantize_graph(folder: Path, graph: Graph) -> Graph:
    """``graph`` in ``folder`` (plain or fused by the transformer optimizer) replaced by its int8 version
    (``<name>.int8.onnx``); returns the new Graph, with the same session settings."""
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    source = folder / graph.file
    target = source.with_name(f"{source.stem}.int8.onnx")
    # A fused graph's contrib-op outputs have no inferred types: they are float, as every activation here.
    quantize_dynamic(source, target, weight_type=QuantType.QInt8, op_types_to_quantize=QUANTIZED_OPS,
                     extra_options={"DefaultTensorType": TensorProto.FLOAT})
    source.unlink()
    return replace(graph, file=target.name, precision="int8")
