"""The graphs of an export folder behind one interface per graph feed (the manifest's ``feed``): ``outputs`` for
predict, ``embed`` for extract_embedding. Rows are fed in chunks of ``batch_size`` (None: ``ROWS_PER_CALL``, or
``TABLE_ROWS_PER_CALL`` for a graph fed table columns alone)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pandas as pd

from automm.core.base.boxes import letterbox_scale, to_original
from automm.core.base.masks import probabilities

from .errors import DeployError, InputError
from .manifest import Graph, Manifest
from .preprocess import MultimodalInputs
from .preprocess.letterbox import Letterboxed, LetterboxInputs
from .preprocess.prompts import PromptInputs

SessionFactory = Callable[[Path, Graph], ort.InferenceSession]  # a graph's file and manifest entry
ROWS_PER_CALL = 64  # rows with text or images: padded tokens and decoded images are what a call holds in memory
TABLE_ROWS_PER_CALL = 1024  # rows of numbers and categories alone: small, and a graph call's fixed cost adds up


def open_graph(folder: Path, graph: Graph, session: SessionFactory) -> ort.InferenceSession:
    """The session of ``graph``'s file in ``folder``.

    Raises:
        DeployError: the file the manifest names is missing.
    """
    file = folder / graph.file
    if not file.is_file():
        raise DeployError(f"{str(folder)!r} lacks {graph.file}, which its manifest names: export again.")
    return session(file, graph)


class GraphRunner:
    """One graph with the inputs that feed it: table rows -> one named output, chunk by chunk (``batch_size`` rows
    a graph call; see ``MultimodalInputs.chunks``), in row order."""

    def __init__(self, folder: Path, graph: Graph, inputs: MultimodalInputs, session: SessionFactory,
                 batch_size: int | None):
        self.session, self.inputs = open_graph(folder, graph, session), inputs
        table_only = inputs.text is None and inputs.image is None
        self.batch_size = batch_size or (TABLE_ROWS_PER_CALL if table_only else ROWS_PER_CALL)
        self.names = {i.name for i in self.session.get_inputs()}

    def __call__(self, frame: pd.DataFrame, output: str) -> np.ndarray:
        if len(frame) == 0:
            raise InputError("No rows to predict.")
        if len(frame) <= self.batch_size:  # one call: no copies of the rows (the inputs check them)
            return self.run(self.inputs(frame), output)
        positions, found = [], []
        for rows, feeds in self.inputs.chunks(frame, self.batch_size):
            positions.append(rows)
            found.append(self.run(feeds, output))
        ordered = np.empty((len(frame), *found[0].shape[1:]), found[0].dtype)
        ordered[np.concatenate(positions)] = np.concatenate(found)
        return ordered

    def run(self, feeds: dict[str, np.ndarray], output: str) -> np.ndarray:
        """One bare graph call on ready inputs."""
        return self.session.run([output], {k: v for k, v in feeds.items() if k in self.names})[0]


class MultimodalNetwork:
    """core's late-fusion network: graph "model" with outputs "logits" and "embedding"."""

    def __init__(self, manifest: Manifest, folder: Path, session: SessionFactory, batch_size: int | None,
                 allow_paths: bool):
        self.runner = GraphRunner(folder, manifest.graphs["model"],
                                  MultimodalInputs(manifest.processors, folder, allow_paths), session, batch_size)
        self.columns = self.runner.inputs.columns

    def outputs(self, frame: pd.DataFrame) -> np.ndarray:
        return self.runner(frame, "logits")

    def embed(self, frame: pd.DataFrame, signature: str | None) -> np.ndarray:
        if signature is not None:
            raise InputError(f"This model has one embedding per row: call extract_embedding without signature "
                             f"(got {signature!r}).")
        return self.runner(frame, "embedding")


class BiEncoderNetwork:
    """automm-match's matchers (bi-encoder or CLIP): one graph per tower (unit-length "embedding"), each side fed
    by its own columns."""

    def __init__(self, manifest: Manifest, folder: Path, session: SessionFactory, batch_size: int | None,
                 allow_paths: bool):
        sides = manifest.processors.get("sides")
        if not isinstance(sides, dict) or set(sides) != set(manifest.sides):
            raise DeployError("manifest.json's sides do not match processors.json's: export again.")
        sessions: dict[str, SessionFactory] = {}
        self.runners: dict[str, GraphRunner] = {}
        for side, graph_name in manifest.sides.items():  # sides sharing a tower share its session
            shared = sessions.setdefault(graph_name, _once(session))
            self.runners[side] = GraphRunner(folder, manifest.graphs[graph_name],
                                             MultimodalInputs(sides[side], folder, allow_paths), shared, batch_size)
        self.columns = [c for runner in self.runners.values() for c in runner.inputs.columns]

    def outputs(self, frame: pd.DataFrame) -> np.ndarray:
        """``[rows, sides, dim]`` unit vectors, query then response."""
        return np.stack([runner(frame, "embedding") for runner in self.runners.values()], axis=1)

    def embed(self, frame: pd.DataFrame, signature: str | None) -> np.ndarray:
        if signature not in self.runners:
            raise InputError(f"This matcher embeds each side separately: pass signature= one of {list(self.runners)} "
                             f"(got {signature!r}).")
        return self.runners[signature](frame, "embedding")


class LetterboxedNetwork:
    """A dense-task network (segmenter, detector): one image column letterboxed to the graph's input; subclasses
    turn each chunk's graph outputs into per-row answers at the original image sizes."""

    kind = "dense network"

    def __init__(self, manifest: Manifest, folder: Path, session: SessionFactory, batch_size: int | None,
                 allow_paths: bool):
        self.inputs = LetterboxInputs(manifest.processors, allow_paths)
        self.columns = [self.inputs.column]
        graph = manifest.graphs["model"]
        self.session, self.names = open_graph(folder, graph, session), graph.outputs
        self.batch_size = batch_size or ROWS_PER_CALL

    def outputs(self, frame: pd.DataFrame) -> list[Any]:
        self._check(frame)
        found: list[Any] = []
        for start in range(0, len(frame), self.batch_size):
            found += self._answers(self.inputs(frame.iloc[start : start + self.batch_size]))
        return found

    def _check(self, frame: pd.DataFrame) -> None:
        if len(frame) == 0:
            raise InputError("No rows to predict.")
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            raise InputError(f"The rows lack column(s) {missing} that the predictor reads. Add them (an empty cell "
                             "where a row has no value, e.g. no prompt).")

    def embed(self, frame: pd.DataFrame, signature: str | None) -> np.ndarray:
        raise InputError(f"An exported {self.kind} has no row embeddings; use predict().")

    def _answers(self, chunk: Letterboxed) -> list[Any]:
        raise NotImplementedError


class SegmenterNetwork(LetterboxedNetwork):
    """automm-segment's segmenter: letterboxed images (and, for SAM with prompt columns, each row's point / box
    prompts) in, logits at the input size out; ``outputs`` gives each row's class probabilities at its own image
    size, as the torch network does in eval mode."""

    kind = "segmenter"

    def __init__(self, manifest: Manifest, folder: Path, session: SessionFactory, batch_size: int | None,
                 allow_paths: bool):
        super().__init__(manifest, folder, session, batch_size, allow_paths)
        prompted = bool(manifest.processors.get("point_column") or manifest.processors.get("box_column"))
        self.prompts = PromptInputs(manifest.processors) if prompted else None
        if self.prompts is not None:
            self.columns += self.prompts.columns

    def outputs(self, frame: pd.DataFrame) -> list[np.ndarray]:
        if self.prompts is None:
            return super().outputs(frame)
        self._check(frame)
        prompts = self.prompts.parse(frame)  # every cell, before any graph call
        found: list[np.ndarray] = []
        for start in range(0, len(frame), self.batch_size):
            rows = slice(start, start + self.batch_size)
            chunk = self.inputs(frame.iloc[rows])
            scaled = self.prompts.scale(prompts[rows], frame.index[rows], chunk.sizes, chunk.valid)
            found += self._probabilities(self._prompted(chunk.images, scaled), chunk)
        return found

    def _answers(self, chunk: Letterboxed) -> list[np.ndarray]:
        return self._probabilities(self.session.run(["logits"], {"images": chunk.images})[0], chunk)

    def _prompted(self, images: np.ndarray, prompts: list[np.ndarray]) -> np.ndarray:
        """Logits of rows with prompts, one graph call per prompt count (SAM attends over padding entries too, so
        a row's masks must not depend on the other rows' prompts), in row order."""
        counts = np.asarray([len(p) for p in prompts])
        groups = {count: np.flatnonzero(counts == count) for count in np.unique(counts).tolist()}
        outputs = {count: self.session.run(["logits"], {"images": images[rows],
                                                        "prompts": np.stack([prompts[i] for i in rows])})[0]
                   for count, rows in groups.items()}
        first = next(iter(outputs.values()))
        logits = np.empty((len(prompts), *first.shape[1:]), first.dtype)
        for count, rows in groups.items():
            logits[rows] = outputs[count]
        return logits

    @staticmethod
    def _probabilities(logits: np.ndarray, chunk: Letterboxed) -> list[np.ndarray]:
        return [probabilities(*row) for row in zip(logits, chunk.valid, chunk.sizes)]


class DetectorNetwork(LetterboxedNetwork):
    """automm-detect's detector: one letterboxed image per graph call (boxes, scores, labels in input pixels, after
    the graph's own NMS); ``outputs`` gives each row's detections in its original image's pixels."""

    kind = "detector"

    def _answers(self, chunk: Letterboxed) -> list[dict[str, np.ndarray]]:
        return [to_original(dict(zip(self.names, self.session.run(self.names, {"images": image[None]}))),
                            letterbox_scale(size, self.inputs.size), size)
                for image, size in zip(chunk.images, chunk.sizes)]


def _once(factory: SessionFactory) -> SessionFactory:
    """``factory`` that makes a file's session on the first call and returns that one afterwards."""
    made: dict[Path, ort.InferenceSession] = {}

    def session(file: Path, graph: Graph) -> ort.InferenceSession:
        if file not in made:
            made[file] = factory(file, graph)
        return made[file]

    return session


# The manifest's graph feed -> the runtime network that feeds those graphs from table rows.
NETWORKS = {"multimodal": MultimodalNetwork, "sides": BiEncoderNetwork, "segmenter": SegmenterNetwork,
            "detector": DetectorNetwork}
