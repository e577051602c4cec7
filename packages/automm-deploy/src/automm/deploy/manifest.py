"""manifest.json: what an exported model folder holds and how to feed it, readable without torch.

An export folder holds ``manifest.json``, one ``.onnx`` file per graph and, with text columns, the tokenizer's
``tokenizer.json``. The manifest names the task (problem type, label encoding as the predictor saved it), the
feature columns and their types, the preprocessing recipe (processors.json of the saved predictor, unchanged),
for each graph its file, input and output tensor names and opset, how the runtime feeds the graphs, and the
decoder spec of the task (``automm.core.base.registry``) that turns the graphs' outputs into answers.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import legacy
from .errors import DeployError

MANIFEST_FILE = "manifest.json"
# 2: recipes of automm-core 0.3 (quantile-normal numeric rule), prompted SAM; 3: decoder spec and graph feed
FORMAT_VERSION = 3
TOKENIZER_FILE = "tokenizer.json"
# onnxruntime's graph optimisation levels by the name a manifest records.
OPTIMIZATION_LEVELS = ("disabled", "basic", "extended", "all")


@dataclass(frozen=True)
class Graph:
    """One ONNX graph: its file in the folder, tensor names in order, the opset it was exported with, its
    weights' precision ("fp32", or "int8" after dynamic quantisation), and how it runs best, chosen at export.

    ``optimizer`` names the fusions of the saved graph, joined by "+": "static_padding" (timm's "same" padding as
    constants, which onnxruntime folds into the convolutions), "multihead_attention" (torch's
    self-attention as onnxruntime's MultiHeadAttention), the transformer optimizer's model type ("bert", "clip");
    or "none" (the plain graph); ``optimization_level`` the session's graph optimisation level
    (``OPTIMIZATION_LEVELS``); ``threads`` the intra-op threads (0: the CPUs the process may use, at most 8);
    ``spinning`` whether idle intra-op threads spin (fast on an idle machine, slow on a shared one). Manifests
    written before these fields get the defaults.
    """

    file: str
    inputs: list[str]
    outputs: list[str]
    opset: int
    precision: str = "fp32"
    optimizer: str = "none"
    optimization_level: str = "all"
    threads: int = 0
    spinning: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Graph:
        """The graph ``data`` (a manifest's entry) describes; fields it lacks get their defaults."""
        level = str(data.get("optimization_level", "all"))
        if level not in OPTIMIZATION_LEVELS:
            raise ValueError(f"optimization_level {level!r} is not one of {OPTIMIZATION_LEVELS}")
        return cls(str(data["file"]), [str(n) for n in data["inputs"]], [str(n) for n in data["outputs"]],
                   int(data["opset"]), str(data.get("precision", "fp32")), str(data.get("optimizer", "none")), level,
                   int(data.get("threads", 0)), bool(data.get("spinning", False)))


@dataclass(frozen=True)
class Manifest:
    """The contents of manifest.json.

    Attributes:
        problem_type: the predictor's problem type, for the record and messages.
        label_columns: the label column(s) predictions are named after.
        columns: feature column -> column type ("numerical", "text", "image_path", ...).
        network_kind: the saved network's kind ("multimodal"), which says how graph inputs are made.
        task: the task's JSON as the predictor saved it (classes, label statistics, ...).
        processors: the predictor's processors.json (the preprocessing recipe).
        graphs: graph name -> Graph ("model" for a single network, one per tower for a bi-encoder).
        versions: package versions at export time, for the record.
        sides: for a network with sides (a matcher), side ("query", "response") -> the graph that embeds it.
        decoder: the task's decoder spec, ``{"decoder": name, ...params}`` (derived by ``legacy`` for format 2).
        feed: how the runtime feeds the graphs from rows (``networks.NETWORKS``' keys; by ``legacy`` for format 2).
    """

    problem_type: str
    label_columns: list[str]
    columns: dict[str, str]
    network_kind: str
    task: dict[str, Any]
    processors: dict[str, Any]
    graphs: dict[str, Graph]
    versions: dict[str, str] = field(default_factory=dict)
    sides: dict[str, str] = field(default_factory=dict)
    decoder: dict[str, Any] = field(default_factory=dict)
    feed: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"format_version": FORMAT_VERSION, **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        found = data.get("format_version")
        if not isinstance(found, int) or isinstance(found, bool):
            raise DeployError(f"{MANIFEST_FILE} has no valid format_version (found {found!r}): export again.")
        if found > FORMAT_VERSION:
            raise DeployError(f"{MANIFEST_FILE} is format version {found}; this automm-deploy reads up to "
                              f"{FORMAT_VERSION}. Upgrade it: pip install -U automm-deploy.")
        try:
            graphs = {str(name): Graph.from_json(g) for name, g in data["graphs"].items()}
            problem_type, kind = str(data["problem_type"]), str(data["network_kind"])
            task, processors = dict(data["task"]), dict(data["processors"])
            decoder = dict(data["decoder"]) if found >= 3 else legacy.decoder_spec(problem_type, task, processors)
            return cls(problem_type, [str(c) for c in data["label_columns"]],
                       {str(k): str(v) for k, v in data["columns"].items()}, kind, task, processors, graphs,
                       dict(data.get("versions", {})), {str(k): str(v) for k, v in data.get("sides", {}).items()},
                       decoder, str(data["feed"]) if found >= 3 else legacy.feed(kind))
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise DeployError(f"{MANIFEST_FILE} is damaged or was edited ({err!r}): export again.") from err

    def write(self, folder: Path) -> None:
        (folder / MANIFEST_FILE).write_text(json.dumps(self.to_json(), indent=2, sort_keys=True), encoding="utf-8")

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        """The manifest of export folder ``folder``.

        Raises:
            DeployError: no folder, no manifest, invalid JSON, or a newer format.
        """
        folder = Path(folder)
        file = folder / MANIFEST_FILE
        if not folder.is_dir():
            raise DeployError(f"No exported model at {str(folder)!r}: it is not a directory. Pass the folder that "
                              "`automm-deploy export` wrote.")
        if not file.is_file():
            hint = (" It is a saved predictor, not an export: run `automm-deploy export` on it first."
                    if (folder / "predictor.json").is_file() else "")
            raise DeployError(f"{str(folder)!r} has no {MANIFEST_FILE}.{hint}")
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise DeployError(f"{MANIFEST_FILE} in {str(folder)!r} is not valid JSON ({err}): export again.") from err
        if not isinstance(data, dict):
            raise DeployError(f"{MANIFEST_FILE} in {str(folder)!r} must hold a JSON object: export again.")
        return cls.from_json(data)
