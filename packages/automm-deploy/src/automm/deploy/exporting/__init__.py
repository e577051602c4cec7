"""Export a saved predictor to an ONNX folder the torch-free runtime loads (needs automm-deploy[export])."""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from ..errors import DeployError
from ..manifest import MANIFEST_FILE, TOKENIZER_FILE, Manifest

DEFAULT_OPSET = 17


def export(predictor: Any, out: str | Path, opset: int = DEFAULT_OPSET, quantize: str | None = None) -> Path:
    """Export ``predictor`` (a MultiModalPredictor or its saved directory) to the folder ``out``, atomically.

    The folder gets one ONNX graph per network (``model.onnx``; a matcher one per tower), each checked with
    ``onnx.checker`` and its outputs on example rows compared with torch's; ``manifest.json``; and, with text
    columns, ``tokenizer.json``. ``quantize="int8"`` then replaces each graph by its dynamically quantised
    version (``model.int8.onnx``) for faster CPU inference at some accuracy cost.

    Raises:
        DeployError: the training stack is missing, the network kind cannot be exported yet, ``out`` is a
            folder of other files, or a graph's outputs differ from the network's.

    Example:
        >>> export("my_predictor/", "my_predictor.onnx/")
    """
    try:
        import onnx  # noqa: F401
        import torch  # noqa: F401

        from automm.core import MultiModalPredictor
        from automm.core.plugin import processors_to_json, staged_folder
    except ImportError as err:
        raise DeployError(f"Export needs the training stack ({err.name} is missing): pip install "
                          "'automm-deploy[export]' (automm-core, onnx, onnxscript), plus the predictor's task "
                          "package.") from None
    from automm.core.base.registry import EXPORTERS

    from . import graphs  # registers the exporter of core's own "multimodal" network

    if isinstance(predictor, (str, Path)):
        predictor = MultiModalPredictor.load(predictor)  # loads the task package, which registers its exporters
    state = predictor.state
    kind = state.network_spec.kind
    if quantize not in (None, "int8"):
        raise DeployError(f"quantize must be None or 'int8', got {quantize!r}.")
    decoder = state.task.decoder_spec()
    if kind not in EXPORTERS or decoder is None:
        raise DeployError(f"Exporting a {kind!r} network ({state.problem_type}) is not supported yet; the installed "
                          f"task packages export the network kinds {list(EXPORTERS)} (with a decoder spec).")
    out = Path(out)
    _check_target(out)
    with staged_folder(out, "exporting") as staging:
        written = EXPORTERS.get(kind)(predictor, staging, opset, graphs)
        files = dict(written.graphs)
        if quantize:
            from .quantize import quantize_graph

            files = {name: quantize_graph(staging, graph) for name, graph in files.items()}
        if written.tokenizer is not None:
            _save_tokenizer(written.tokenizer, staging / TOKENIZER_FILE)
        manifest = Manifest(state.problem_type, list(state.label_columns),
                            {c: d.type.value for c, d in state.columns.items() if d.type.is_used}, kind,
                            _plain(state.task.to_json()), _plain(processors_to_json(state.processors)), files,
                            _versions(), dict(written.sides), _plain(decoder), written.feed)
        manifest.write(staging)
        _check_target(out)  # again: files added to ``out`` while exporting would be lost by the replace
    return out


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` as plain JSON values (what the predictor's own JSON files hold)."""
    return json.loads(json.dumps(data, default=str))


def _check_target(out: Path) -> None:
    """Refuse ``out`` unless it is new, empty, or an export holding nothing but what an export writes (exporting
    replaces the whole folder, so a file of the user's in it would be lost)."""
    if out.exists() and not out.is_dir():
        raise DeployError(f"Cannot export to {str(out)!r}: it is a file. Choose a folder path.")
    if not out.is_dir() or not any(out.iterdir()):
        return
    if not (out / MANIFEST_FILE).is_file():
        raise DeployError(f"Cannot export to {str(out)!r}: it holds other files, and exporting replaces the whole "
                          "folder. Choose a new or empty folder.")
    try:
        graphs = Manifest.read(out).graphs.values()
    except DeployError as err:
        raise DeployError(f"Cannot export to {str(out)!r}: its {MANIFEST_FILE} cannot be read ({err}), so its export "
                          "files cannot be told from other files. Remove the folder or choose a new one.") from err
    foreign = sorted({p.name for p in out.iterdir()} - {MANIFEST_FILE, TOKENIZER_FILE, *(g.file for g in graphs)})
    if foreign:
        raise DeployError(f"Cannot export to {str(out)!r}: it holds files an export does not write: {foreign[:10]}, "
                          "and exporting replaces the whole folder. Move them out, or choose a new folder.")


def _save_tokenizer(tokenizer: Any, file: Path) -> None:
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise DeployError("The predictor's tokenizer has no tokenizer.json form (a slow tokenizer); the runtime "
                          "needs a fast (Rust) tokenizer.")
    backend.save(str(file))


def _versions() -> dict[str, str]:
    found = {}
    for package in ("automm-deploy", "automm-core", "torch", "onnx", "onnxruntime"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
    return found
