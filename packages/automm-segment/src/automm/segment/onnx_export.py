"""Export a fitted segmenter to ONNX: letterboxed images (and, with prompt columns, ``[B, N, 3]`` SAM prompts in
the input's pixels) in, per-pixel logits at the input size out. The rows of one call must have the same prompt
count (``prompts.prompt_counts``): SAM attends over padding entries too, so mixed rows run as separate calls.

The graph holds the network only; reading and letterboxing (``processors.json``'s recipe), cropping the
logits to the resized image, resizing them to the original size and the sigmoid / softmax stay outside it,
so a runtime without torch (onnxruntime + numpy) does them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

INPUT_NAMES = ["images"]
PROMPT_INPUT = "prompts"
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
    inputs: tuple[torch.Tensor, ...] = (torch.zeros(1, 3, size, size),)
    names, axes = list(INPUT_NAMES), {"images": {0: "batch"}, "logits": {0: "batch"}}
    if state.processors.prompt_columns:
        prompts = torch.tensor([[[size / 4, size / 4, 1.0], [0, 0, 2.0], [size / 2, size / 2, 3.0]]])
        inputs, names = (*inputs, prompts), [*names, PROMPT_INPUT]
        axes[PROMPT_INPUT] = {0: "batch", 1: "prompts"}
    torch.onnx.export(model, inputs, str(path), dynamo=False, opset_version=opset_version, input_names=names,
                      output_names=OUTPUT_NAMES, dynamic_axes=axes)
    onnx.checker.check_model(str(path))
    return path
