"""Export a fitted detector to ONNX: one letterboxed image in, its detections (input pixels) out.

The graph holds the network only; reading, letterboxing (``processors.json``'s recipe) and mapping boxes
back to the original image (``automm.core.base.boxes``) stay outside it, so a runtime without torch
(onnxruntime + numpy) does them. ``export_graphs`` is automm-deploy's exporter of the "detector" network kind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from automm.core.base.registry import ExportedGraphs

INPUT_NAMES = ["images"]
OUTPUT_NAMES = ["boxes", "scores", "labels"]


class _SingleImage(nn.Module):
    """``[1, 3, S, S]`` -> boxes ``[k, 4]``, scores ``[k]``, labels ``[k]`` (the backend's eval output)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        found = self.model(images)[0]
        return found["boxes"], found["scores"], found["labels"]


def export_onnx(predictor: Any, path: str | Path, opset_version: int = 17) -> Path:
    """Write ``predictor``'s detector to ``path`` (an ``.onnx`` file) and check it with ``onnx.checker``.

    Example:
        >>> export_onnx(predictor, "detector.onnx")
    """
    import onnx

    state = predictor.state
    size = state.processors.image_size
    module = _SingleImage(state.net.model).eval()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # TorchScript-based export: torchvision's detection post-processing (NMS, top-k) exports exactly with it.
    torch.onnx.export(module, (torch.zeros(1, 3, size, size),), str(path), dynamo=False, opset_version=opset_version,
                      input_names=INPUT_NAMES, output_names=OUTPUT_NAMES,
                      dynamic_axes={name: {0: "detections"} for name in OUTPUT_NAMES})
    onnx.checker.check_model(str(path))
    return path


def export_graphs(predictor: Any, folder: Path, opset: int, tools: Any) -> ExportedGraphs:
    """automm-deploy's exporter: ``export_onnx`` to ``folder/model.onnx``, then ``tools.verify`` of onnxruntime
    against torch on a random image; the runtime feeds it letterboxed images ("detector" feed)."""
    import warnings

    file = folder / "model.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer and torchvision export warnings
        export_onnx(predictor, file, opset_version=opset)
    size = predictor.state.processors.image_size
    image = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        found = predictor.state.net.model.eval()(image)[0]
    tools.verify(file, {INPUT_NAMES[0]: image}, tuple(found[name] for name in OUTPUT_NAMES), list(OUTPUT_NAMES))
    return ExportedGraphs({"model": tools.Graph(file.name, list(INPUT_NAMES), list(OUTPUT_NAMES), opset)},
                          "detector")
