"""Export a fitted segmenter to ONNX: letterboxed images (and, with prompt columns, ``[B, N, 3]`` SAM prompts in
the input's pixels) in, per-pixel logits at the input size out. The rows of one call must have the same prompt
count (``prompts.prompt_counts``): SAM attends over padding entries too, so mixed rows run as separate calls.

The graph holds the network only; reading and letterboxing (``processors.json``'s recipe), cropping the
logits to the resized image, resizing them to the original size and the sigmoid / softmax stay outside it,
so a runtime without torch (onnxruntime + numpy) does them (``automm.core.base.masks``). ``export_graphs`` is
automm-deploy's exporter of the "segmenter" network kind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from automm.core.base.registry import ExportedGraphs

from .prompts import BACKGROUND, BOTTOM_RIGHT, FOREGROUND, PAD, TOP_LEFT

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


def export_graphs(predictor: Any, folder: Path, opset: int, tools: Any) -> ExportedGraphs:
    """automm-deploy's exporter: ``export_onnx`` to ``folder/model.onnx``, then ``tools.verify`` of onnxruntime
    against torch on two random images (with prompts: twice, at two prompt counts, as the prompt axis is dynamic);
    the runtime feeds it letterboxed images and prompts ("segmenter" feed)."""
    import warnings

    file = folder / "model.onnx"
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
        tools.verify(file, dict(zip(names, inputs)), (expected,), list(OUTPUT_NAMES))
    return ExportedGraphs({"model": tools.Graph(file.name, names, list(OUTPUT_NAMES), opset)}, "segmenter")


def example_prompts(size: int) -> list[torch.Tensor]:
    """SAM prompts for two rows of a ``size x size`` input, in the ``[B, N, 3]`` layout: points only (a padding
    entry ends each row), then points and a box."""
    s = float(size)
    points = torch.tensor([[[s / 4, s / 3, FOREGROUND], [0, 0, PAD]], [[s / 2, s / 2, BACKGROUND], [0, 0, PAD]]])
    boxed = torch.tensor([[[s / 3, s / 2, FOREGROUND], [s / 8, s / 4, BACKGROUND], [s / 8, s / 8, TOP_LEFT],
                           [s / 2, s * 3 / 4, BOTTOM_RIGHT]],
                          [[s / 2, s / 3, BACKGROUND], [s / 2, s / 2, FOREGROUND], [s / 4, s / 4, TOP_LEFT],
                           [s * 7 / 8, s * 7 / 8, BOTTOM_RIGHT]]])
    return [points, boxed]
