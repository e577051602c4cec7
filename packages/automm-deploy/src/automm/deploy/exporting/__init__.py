"""Export a saved predictor to an ONNX folder the torch-free runtime loads (needs automm-deploy[export])."""

from __future__ import annotations

import json
import shutil
import uuid
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DeployError
from ..manifest import MANIFEST_FILE, TOKENIZER_FILE, Graph, Manifest

DEFAULT_OPSET = 17
GRAPH_FILE = "model.onnx"
# Largest difference between the graph's outputs (onnxruntime) and the torch network's on the example rows.
TOLERANCE = 1e-4


def export(predictor: Any, out: str | Path, opset: int = DEFAULT_OPSET) -> Path:
    """Export ``predictor`` (a MultiModalPredictor or its saved directory) to the folder ``out``, atomically.

    The folder gets ``model.onnx`` (checked with ``onnx.checker``; its outputs on example rows equal the torch
    network's within ``TOLERANCE``), ``manifest.json`` and, with text columns, ``tokenizer.json``.

    Raises:
        DeployError: the training stack is missing, the network kind cannot be exported yet, ``out`` is a
            folder of other files, or the graph's outputs differ from the network's.

    Example:
        >>> export("my_predictor/", "my_predictor.onnx/")
    """
    try:
        import onnx
        import torch  # noqa: F401

        from automm.core import MultiModalPredictor
        from automm.core.persistence import processors_to_json
    except ImportError as err:
        raise DeployError(f"Export needs the training stack ({err.name} is missing): pip install "
                          "'automm-deploy[export]' (automm-core, onnx, onnxscript), plus the predictor's task "
                          "package.") from None
    from .multimodal import OUTPUTS, export_graph

    if isinstance(predictor, (str, Path)):
        predictor = MultiModalPredictor.load(predictor)
    state = predictor.state
    kind = state.network_spec.kind
    if kind != "multimodal":
        raise DeployError(f"Exporting a {kind!r} network ({state.problem_type}) is not supported yet; supported: "
                          "binary, multiclass, multilabel, regression and multi-output regression predictors.")
    out = Path(out)
    _check_target(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.exporting-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        names, examples = export_graph(state, str(staging / GRAPH_FILE), opset)
        onnx.checker.check_model(str(staging / GRAPH_FILE))
        _verify(state.net, staging / GRAPH_FILE, names, examples)
        if state.processors.text is not None:
            _save_tokenizer(state.processors.text.tokenizer, staging / TOKENIZER_FILE)
        manifest = Manifest(state.problem_type, list(state.label_columns),
                            {c: d.type.value for c, d in state.columns.items() if d.type.is_used}, kind,
                            json.loads(json.dumps(state.task.to_json(), default=str)),
                            json.loads(json.dumps(processors_to_json(state.processors), default=str)),
                            {"model": Graph(GRAPH_FILE, names, list(OUTPUTS), opset)}, _versions())
        manifest.write(staging)
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out


def _check_target(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise DeployError(f"Cannot export to {str(out)!r}: it is a file. Choose a folder path.")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST_FILE).is_file():
        raise DeployError(f"Cannot export to {str(out)!r}: it holds other files, and exporting replaces the whole "
                          "folder. Choose a new or empty folder.")


def _save_tokenizer(tokenizer: Any, file: Path) -> None:
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise DeployError("The predictor's tokenizer has no tokenizer.json form (a slow tokenizer); the runtime "
                          "needs a fast (Rust) tokenizer.")
    backend.save(str(file))


def _verify(net: Any, file: Path, names: list[str], examples: dict[str, Any]) -> None:
    """The graph's logits on the example rows equal the torch network's."""
    import onnxruntime as ort
    import torch

    from automm.core.data.batch import Batch

    with torch.inference_mode():
        expected = net.eval()(Batch(**examples)).numpy()
    session = ort.InferenceSession(str(file), providers=["CPUExecutionProvider"])
    found = session.run(["logits"], {n: examples[n].numpy() for n in names})[0]
    difference = float(np.abs(found - expected).max())
    if not difference <= TOLERANCE:
        raise DeployError(f"The exported graph's outputs differ from the network's by {difference:.2e} (more than "
                          f"{TOLERANCE}); this network does not export exactly. Please report it.")


def _versions() -> dict[str, str]:
    found = {}
    for package in ("automm-deploy", "automm-core", "torch", "onnx", "onnxruntime"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
    return found
