"""Export a fitted detector to ONNX: one letterboxed image in, its detections (input pixels) out.

The graph holds the network only; reading, letterboxing (``processors.json``'s recipe) and mapping boxes
back to the original image (divide by the letterbox scale) stay outside it, so a runtime without torch
(onnxruntime + numpy) does them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

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
