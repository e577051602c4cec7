"""Network outputs -> answers, with numpy only: one implementation for the torch predictor and the ONNX runtime.

Each decoder is built from a JSON spec ``{"decoder": name, ...params}`` (``decoding.decoder_from_spec``), which a
task writes with ``Task.decoder_spec()`` and an export's manifest carries. A decoder has ``has_proba``,
``needs_rows`` (its ``predict`` takes the rows themselves, not only their index), ``spec()``, ``predict(outputs,
index or rows)`` and, where ``has_proba``, ``predict_proba(outputs, index)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from automm.core.errors import InputError

from .registry import DECODERS


def softmax(logits: np.ndarray, axis: int = 1) -> np.ndarray:
    """``scipy.special.softmax``'s computation, without scipy."""
    shifted = np.exp(logits - logits.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


def sigmoid(logits: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-x))``, as ``scipy.special.expit`` computes it (0 for large negative logits, no warning)."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-logits))


def pair_similarity(outputs: np.ndarray) -> np.ndarray:
    """Cosine similarity of each row's query and response (``[rows, 2, dim]`` unit-length embeddings)."""
    return (outputs[:, 0] * outputs[:, 1]).sum(axis=1) if len(outputs) else np.zeros(0, dtype=np.float32)


class Decoder:
    """Base of the decoders: the spec round trip and the answers a decoder without probabilities refuses."""

    name: ClassVar[str]
    has_proba: ClassVar[bool] = True
    needs_rows: ClassVar[bool] = False

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Decoder:
        params = {k: v for k, v in spec.items() if k not in ("decoder", "module")}
        try:
            return cls(**params)
        except TypeError as err:
            raise InputError(f"The {cls.name!r} decoder spec {dict(spec)} does not fit it ({err}); export or save "
                             "the predictor again.") from None

    def spec(self) -> dict[str, Any]:
        """The JSON spec that ``from_spec`` rebuilds this decoder from."""
        return {"decoder": self.name, **self.params()}

    def params(self) -> dict[str, Any]:
        raise NotImplementedError

    def predict(self, outputs: Any, rows: Any) -> pd.Series | pd.DataFrame:
        raise NotImplementedError

    def predict_proba(self, outputs: Any, index: pd.Index) -> pd.DataFrame:
        raise InputError("These predictions have no class probabilities; use predict().")


@DECODERS.register("classes")
class ClassesDecoder(Decoder):
    """One logit per class: the argmax class, named after the label column, and softmax probabilities."""

    name = "classes"

    def __init__(self, column: Any, classes: list[Any]):
        self.column, self.classes = column, list(classes)

    def params(self) -> dict[str, Any]:
        return {"column": self.column, "classes": self.classes}

    def predict(self, outputs: np.ndarray, rows: pd.Index) -> pd.Series:
        classes = np.asarray(self.classes, dtype=object)
        return pd.Series(classes[outputs.argmax(axis=1)] if len(outputs) else [], index=rows, name=self.column)

    def predict_proba(self, outputs: np.ndarray, index: pd.Index) -> pd.DataFrame:
        proba = softmax(outputs, axis=1) if len(outputs) else np.zeros((0, len(self.classes)))
        return pd.DataFrame(proba, index=index, columns=self.classes)


@DECODERS.register("binary_columns")
class MultilabelDecoder(Decoder):
    """One sigmoid per label column: its positive value (``values[i][1]``) where p >= 0.5, else its negative one."""

    name = "binary_columns"

    def __init__(self, columns: list[str], values: list[list[Any]]):
        self.columns, self.values = list(columns), [list(v) for v in values]

    def params(self) -> dict[str, Any]:
        return {"columns": self.columns, "values": self.values}

    def predict(self, outputs: np.ndarray, rows: pd.Index) -> pd.DataFrame:
        positive = sigmoid(outputs) >= 0.5
        return pd.DataFrame({c: np.where(positive[:, i], v[1], v[0])
                             for i, (c, v) in enumerate(zip(self.columns, self.values))}, index=rows)

    def predict_proba(self, outputs: np.ndarray, index: pd.Index) -> pd.DataFrame:
        """Probability of each column's positive value."""
        return pd.DataFrame(sigmoid(outputs), index=index, columns=self.columns)


@DECODERS.register("values")
class ValuesDecoder(Decoder):
    """Standardised outputs -> values in label units (``output * std + mean`` per column); a Series for one
    column when ``series``, else a DataFrame."""

    name = "values"
    has_proba = False

    def __init__(self, columns: list[str], means: list[float], stds: list[float], series: bool):
        self.columns, self.means, self.stds, self.series = list(columns), list(means), list(stds), bool(series)

    def params(self) -> dict[str, Any]:
        return {"columns": self.columns, "means": self.means, "stds": self.stds, "series": self.series}

    def values(self, outputs: np.ndarray) -> np.ndarray:
        """``[rows, columns]`` values in label units."""
        return outputs * np.asarray(self.stds) + np.asarray(self.means)

    def predict(self, outputs: np.ndarray, rows: pd.Index) -> pd.Series | pd.DataFrame:
        values = self.values(outputs.reshape(len(outputs), len(self.columns)))
        if self.series:
            return pd.Series(values[:, 0], index=rows, name=self.columns[0])
        return pd.DataFrame(values, index=rows, columns=self.columns)


@DECODERS.register("match")
class MatchDecoder(Decoder):
    """``[rows, 2, dim]`` unit embeddings (query, response) -> cosine similarity, then a match label by the
    Platt-scaled probability ``sigmoid(a * cosine + b)`` (``kind`` "binary" / "positive"), or a graded score in
    ``label_range`` (``kind`` "graded", no probabilities)."""

    name = "match"

    def __init__(self, name: str, kind: str, match_label: Any, other_label: Any, label_range: list[float],
                 platt: list[float]):
        self.column, self.kind = name, kind
        self.match_label, self.other_label = match_label, other_label
        self.label_range, self.platt = tuple(label_range), tuple(platt)

    @property
    def has_proba(self) -> bool:  # type: ignore[override]
        return self.kind != "graded"

    def params(self) -> dict[str, Any]:
        return {"name": self.column, "kind": self.kind, "match_label": self.match_label,
                "other_label": self.other_label, "label_range": list(self.label_range), "platt": list(self.platt)}

    def probability(self, outputs: np.ndarray) -> np.ndarray:
        a, b = self.platt
        return 1.0 / (1.0 + np.exp(-(a * pair_similarity(outputs) + b)))

    def predict(self, outputs: np.ndarray, rows: pd.Index) -> pd.Series:
        if self.kind == "graded":
            low, high = self.label_range
            values = low + np.clip(pair_similarity(outputs), 0, 1) * (high - low)
            return pd.Series(values, index=rows, name=self.column)
        match = self.probability(outputs) >= 0.5
        values = np.where(match, self.match_label, self.other_label) if len(match) else []
        return pd.Series(values, index=rows, name=self.column)

    def predict_proba(self, outputs: np.ndarray, index: pd.Index) -> pd.DataFrame:
        if not self.has_proba:
            raise InputError("This matcher learned graded scores, which have no class probabilities; use predict().")
        probability = self.probability(outputs)
        return pd.DataFrame({self.other_label: 1.0 - probability, self.match_label: probability}, index=index)
