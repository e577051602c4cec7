"""``problem_type="feature_extraction"``: embeddings from a pretrained encoder, without fit (as in AutoGluon-MM).

The columns of the first data given (all text, or all images) become the one side the encoder reads:
MiniLM-L6 for text and EfficientNet-Lite0 for images at ``medium_quality``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from automm.core.errors import ConfigError, InputError
from automm.core.plugin import ColumnDecision, Config

from .building import Built, as_side_column, build_bi_encoder, side_modality
from .task import MatchTask

PROBLEM_TYPE = "feature_extraction"
USAGE = "predictor.extract_embedding(data) (a DataFrame or dict of text columns, or of image columns)"


class FeatureExtractionTask(MatchTask):
    """One side ("query") holding every column of the data; its pretrained encoder gives the embeddings."""

    @classmethod
    def fit(cls, labels: pd.DataFrame, problem_type: str, arguments: Mapping[str, Any] | None = None,
            ) -> FeatureExtractionTask:
        if labels.shape[1]:
            raise ConfigError(f"problem_type={PROBLEM_TYPE!r} takes no label; got {list(labels.columns)}.")
        return cls(problem_type, {"query": []}, None, "positive")

    @property
    def input_columns(self) -> list[str] | None:  # pyright: ignore  # None before build (Task's contract allows it)
        return list(self.sides["query"]) or None  # None until built: every column of the data is read

    def build(self, features: pd.DataFrame, columns: dict[str, ColumnDecision], config: Config) -> Built:
        side = {c: as_side_column(d, features[c], {"text", "image"}) for c, d in columns.items()}
        if not side:
            raise InputError(f"A {PROBLEM_TYPE} predictor needs data with at least one text or image column: "
                             f"{USAGE}.")
        side_modality(list(side.values()))  # one modality: a mix is refused, naming the columns
        task = type(self)(self.problem_type, {"query": list(side)}, None, "positive",
                          column_types={c: d.type.value for c, d in side.items()})
        return dataclasses.replace(build_bi_encoder(task.sides, features, side, config), task=task)

    def encode(self, labels: pd.DataFrame) -> np.ndarray:
        """Refused: fit() and evaluate() need targets, and this problem type has none."""
        raise ConfigError(f"problem_type={PROBLEM_TYPE!r} is used without fit or evaluate (as in AutoGluon-MM): "
                          f"{USAGE}. To fine-tune embeddings, fit a text_similarity or image_similarity matcher on "
                          "pairs.")

    def predict(self, logits: np.ndarray, index: pd.Index) -> pd.Series:
        raise ConfigError(f"A {PROBLEM_TYPE} predictor only embeds: {USAGE}.")

    def predict_proba(self, logits: np.ndarray, index: pd.Index) -> pd.DataFrame:
        raise ConfigError(f"A {PROBLEM_TYPE} predictor only embeds: {USAGE}.")

    @classmethod
    def from_json(cls, state: Mapping[str, Any]) -> FeatureExtractionTask:
        return cls(str(state["problem_type"]), {"query": [str(c) for c in state["sides"]["query"]]}, None, "positive",
                   column_types=state.get("column_types"))
