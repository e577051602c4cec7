"""An exported predictor run by onnxruntime, with numpy preprocessing: no torch anywhere.

Example:
    >>> from automm.deploy import load
    >>> model = load("my_predictor.onnx/")
    >>> model.predict(df), model.predict_proba(df)
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pandas as pd

from automm.core.base.answers import decoded
from automm.core.base.decoding import decoder_from_spec
from automm.core.errors import AutoMMError

from .errors import DeployError, InputError
from .manifest import MANIFEST_FILE, Graph, Manifest
from .networks import NETWORKS
from .preprocess.images import usable_cpus

logger = logging.getLogger("automm.deploy")

# onnxruntime execution providers by device name, best first; the CPU provider is always the last resort.
PROVIDERS = {
    "cpu": ["CPUExecutionProvider"],
    "cuda": ["CUDAExecutionProvider", "CPUExecutionProvider"],
    "tensorrt": ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"],
}


def providers_for(device: str, fp16: bool = False, cache: Path | None = None) -> list[Any]:
    """The providers for ``device`` that this onnxruntime has; a missing accelerator is a one-line notice.

    TensorRT builds its engine on the first run (FP16 with ``fp16``) and keeps it in ``cache`` for the next start.
    """
    if device not in PROVIDERS:
        raise DeployError(f"device must be one of {sorted(PROVIDERS)}, got {device!r}.")
    available = set(ort.get_available_providers())
    chosen = [p for p in PROVIDERS[device] if p in available]
    if chosen[0] != PROVIDERS[device][0]:
        logger.warning("automm-deploy: %s is not available in this onnxruntime (%s); running on %s.",
                       PROVIDERS[device][0], ", ".join(sorted(available)), chosen[0])
    options = {"TensorrtExecutionProvider": {"trt_fp16_enable": fp16, "trt_engine_cache_enable": cache is not None,
                                             **({"trt_engine_cache_path": str(cache)} if cache else {})}}
    return [(name, options[name]) if name in options else name for name in chosen]


LEVELS = {"disabled": ort.GraphOptimizationLevel.ORT_DISABLE_ALL, "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
          "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED, "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL}


def session_options(threads: int | None = None, graph: Graph | None = None) -> ort.SessionOptions:
    """Options for ``graph`` as its export chose them (``Graph``'s defaults without one): its graph optimisation
    level, sequential execution, ``threads`` intra-op threads (default: the graph's, else the CPUs this process may
    use, at most 8), and intra-op threads that sleep when idle unless the graph says spin."""
    graph = graph or Graph("", [], [], 0)
    options = ort.SessionOptions()
    options.graph_optimization_level = LEVELS[graph.optimization_level]
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = threads or graph.threads or min(8, usable_cpus())
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if graph.spinning else "0")
    return options


class ExportedPredictor:
    """``predict`` / ``predict_proba`` / ``extract_embedding`` of an export folder, with the torch predictor's
    output types (a Series or DataFrame indexed like the rows, an array of embeddings).

    Args:
        folder: what ``automm-deploy export`` wrote.
        device: "cpu", "cuda" or "tensorrt" (onnxruntime's execution providers; CPU when one is missing; the GPU
            ones need onnxruntime-gpu, and TensorRT its libraries).
        fp16: TensorRT only: build the engine in half precision.
        threads: intra-op threads (default: the usable CPUs, at most 8).
        batch_size: rows per graph call (default: 64 rows with text or images, 1024 of a table alone).
        allow_paths: read image-path cells from disk; a server sets False and takes base64 images only.
    """

    def __init__(self, folder: str | Path, device: str = "cpu", threads: int | None = None,
                 batch_size: int | None = None, allow_paths: bool = True, fp16: bool = False):
        self.folder = Path(folder)
        self.manifest = Manifest.read(self.folder)
        feed = self.manifest.feed
        if feed not in NETWORKS:
            raise DeployError(f"automm-deploy cannot feed the graphs of a {self.manifest.network_kind!r} network "
                              f"({feed!r} inputs) yet; it feeds {sorted(NETWORKS)}. Upgrade automm-deploy.")
        if batch_size is not None and batch_size < 1:
            raise DeployError(f"batch_size must be at least 1, got {batch_size}.")
        self.decoder = decoder_of(self.manifest)
        cache = tensorrt_cache(self.folder)
        providers = providers_for(device, fp16, cache)
        self.network = NETWORKS[feed](self.manifest, self.folder, lambda file, graph: ort.InferenceSession(
            str(file), session_options(threads, graph), providers=providers), batch_size, allow_paths)

    @property
    def problem_type(self) -> str:
        return self.manifest.problem_type

    @property
    def columns(self) -> list[str]:
        """The feature columns a row must have."""
        return self.network.columns

    def predict(self, data: Any) -> pd.Series | pd.DataFrame:
        """Labels (values, masks, boxes) per row, named and indexed as the torch predictor's."""
        frame = as_frame(data)
        return decoded(self.decoder, self.network.outputs(frame), frame)

    def predict_proba(self, data: Any) -> pd.DataFrame:
        """Class probabilities, one column per class (per label column for multilabel)."""
        frame = as_frame(data)
        if not self.decoder.has_proba:
            raise InputError(f"This {self.problem_type} model has no class probabilities; use predict().")
        return self.decoder.predict_proba(self.network.outputs(frame), frame.index)

    def predict_with_proba(self, data: Any) -> tuple[pd.Series | pd.DataFrame, pd.DataFrame | None]:
        """``predict`` and ``predict_proba`` (None without probabilities) from one run of the network (what a server
        answers)."""
        frame = as_frame(data)
        outputs = self.network.outputs(frame)
        proba = self.decoder.predict_proba(outputs, frame.index) if self.decoder.has_proba else None
        return decoded(self.decoder, outputs, frame), proba

    def extract_embedding(self, data: Any, signature: str | None = None) -> np.ndarray:
        """Each row's embedding ``[rows, dim]``; a matcher embeds one side: ``signature="query"`` / ``"response"``."""
        return self.network.embed(as_frame(data), signature)


def tensorrt_cache(folder: Path) -> Path:
    """Where TensorRT keeps the engines of the export in ``folder``: one folder per export path (two exports both
    named ``export/`` never share engines)."""
    resolved = folder.resolve()
    key = hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / "automm-deploy-tensorrt" / f"{resolved.name}-{key}"


def decoder_of(manifest: Manifest) -> Any:
    """The decoder the manifest's spec names, from core's registry (``automm.core.base.registry.DECODERS``).

    Raises:
        DeployError: no installed package registers that decoder, or the spec does not fit it.
    """
    try:
        return decoder_from_spec(manifest.decoder)
    except AutoMMError as err:
        raise DeployError(f"The decoder of this export ({MANIFEST_FILE}) cannot be built: {err}") from None


def as_frame(data: Any) -> pd.DataFrame:
    """Rows as a DataFrame: a DataFrame, a list of row dicts, a dict of columns, or a CSV / parquet path."""
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, (str, Path)):
        path = Path(data)
        if not path.is_file():
            raise InputError(f"No table at {str(path)!r}.")
        return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    if isinstance(data, Mapping):
        return pd.DataFrame(dict(data))
    if isinstance(data, Sequence) and all(isinstance(row, Mapping) for row in data):
        return pd.DataFrame(list(data))
    raise InputError(f"Rows must be a DataFrame, a list of row dicts, a dict of columns or a table's path; got "
                     f"{type(data).__name__}.")


def load(folder: str | Path, **options: Any) -> ExportedPredictor:
    """The exported predictor in ``folder`` (see ``ExportedPredictor`` for ``options``)."""
    return ExportedPredictor(folder, **options)
