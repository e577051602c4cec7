"""Export a fitted segmenter to ONNX: letterboxed images in, per-pixel logits at the input size out.

The graph holds the network only; reading and letterboxing (``processors.json``'s recipe), cropping the
logits to the resized image, resizing them to the original size and the sigmoid / softmax stay outside it,
so a runtime without torch (onnxruntime + numpy) does them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

INPUT_NAMES = ["images"]
OUTPUT_NAMES = ["logits"]


def export_onnx(predictor: Any, path: str | Path, opset_version: int = 17) -> Path:
    """Write ``predictor``'s segmenter to ``path`` (an ``.onnx`` file, dynamic batch) and check it.

    Example:
        >>> export_onnx(predictor, "segmenter.onnx")
    """
    import onnx

    state = predictor.state
    size = state.processors.image_size
    model = state.net.model.eval()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(model, (torch.zeros(1, 3, size, size),), str(path), dynamo=False, opset_version=opset_version,
                      input_names=INPUT_NAMES, output_names=OUTPUT_NAMES,
                      dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}})
    onnx.checker.check_model(str(path))
    return path
