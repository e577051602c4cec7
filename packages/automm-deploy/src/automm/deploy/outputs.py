"""Graph outputs -> the torch predictor's answers (labels, probabilities, values), with numpy only."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .errors import DeployError, InputError

CLASSIFICATION = ("binary", "multiclass", "few_shot_classification")  # softmax over one logit per class
REGRESSION = ("regression", "multi_output_regression")
MATCHING = ("text_similarity", "image_similarity", "image_text_similarity")


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exponentials = np.exp(shifted)
    return exponentials / exponentials.sum(axis=1, keepdims=True)


def sigmoid(logits: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-logits))


class Decoder:
    """Labels and probabilities of a problem type from its task JSON (as ``automm-classify`` saves it)."""

    def __init__(self, problem_type: str, task: dict[str, Any]):
        if problem_type not in (*CLASSIFICATION, *REGRESSION, "multilabel"):
            supported = [*CLASSIFICATION, *REGRESSION, "multilabel", *MATCHING, "semantic_segmentation",
                         "object_detection"]
            raise DeployError(f"automm-deploy cannot run {problem_type!r} predictors yet; it runs {supported}.")
        self.problem_type, self.task = problem_type, task

    @property
    def has_proba(self) -> bool:
        return self.problem_type not in REGRESSION

    def predict(self, logits: np.ndarray, index: pd.Index) -> pd.Series | pd.DataFrame:
        task = self.task
        if self.problem_type in CLASSIFICATION:
            classes = np.asarray(task["classes"], dtype=object)
            return pd.Series(classes[logits.argmax(axis=1)] if len(logits) else [], index=index, name=task["column"])
        if self.problem_type == "multilabel":
            positive = sigmoid(logits) >= 0.5
            return pd.DataFrame({c: np.where(positive[:, i], v[1], v[0])
                                 for i, (c, v) in enumerate(zip(task["columns"], task["values"]))}, index=index)
        values = logits.reshape(len(logits), len(task["columns"])) * np.asarray(task["stds"]) + np.asarray(
            task["means"])
        if self.problem_type == "regression":
            return pd.Series(values[:, 0], index=index, name=task["columns"][0])
        return pd.DataFrame(values, index=index, columns=task["columns"])

    def predict_proba(self, logits: np.ndarray, index: pd.Index) -> pd.DataFrame:
        if self.problem_type in CLASSIFICATION:
            proba = softmax(logits) if len(logits) else np.zeros((0, len(self.task["classes"])))
            return pd.DataFrame(proba, index=index, columns=self.task["classes"])
        if self.problem_type == "multilabel":
            return pd.DataFrame(sigmoid(logits), index=index, columns=self.task["columns"])
        raise InputError("predict_proba is for classification; this model does regression: use predict().")


class MatchDecoder:
    """A matcher's answers from ``[rows, 2, dim]`` unit embeddings (query, response), as automm-match gives them:
    cosine similarity, then Platt-scaled match probability (binary / positive labels) or a graded score."""

    def __init__(self, problem_type: str, task: dict[str, Any]):
        self.problem_type, self.task = problem_type, task
        self.name = task.get("label") or "match"

    @property
    def has_proba(self) -> bool:
        return self.task["kind"] != "graded"

    def _probability(self, outputs: np.ndarray) -> np.ndarray:
        a, b = self.task["platt"]
        return 1.0 / (1.0 + np.exp(-(a * similarity(outputs) + b)))

    def predict(self, outputs: np.ndarray, index: pd.Index) -> pd.Series:
        if self.task["kind"] == "graded":
            low, high = self.task["label_range"]
            return pd.Series(low + np.clip(similarity(outputs), 0, 1) * (high - low), index=index, name=self.name)
        match = self._probability(outputs) >= 0.5
        return pd.Series(np.where(match, self.task["match_label"], self.task["other_label"]), index=index,
                         name=self.name)

    def predict_proba(self, outputs: np.ndarray, index: pd.Index) -> pd.DataFrame:
        if not self.has_proba:
            raise InputError("This matcher learned graded scores, which have no class probabilities; use predict().")
        probability = self._probability(outputs)
        return pd.DataFrame({self.task["other_label"]: 1.0 - probability, self.task["match_label"]: probability},
                            index=index)


def similarity(outputs: np.ndarray) -> np.ndarray:
    """Cosine similarity of each row's query and response (unit-length embeddings)."""
    return (outputs[:, 0] * outputs[:, 1]).sum(axis=1)


def decoder_for(problem_type: str, task: dict[str, Any], processors: dict[str, Any]) -> Any:
    """The decoder of ``problem_type``: ``predict`` / ``predict_proba`` from the network's outputs, ``has_proba``;
    one with ``needs_rows`` takes the rows themselves instead of their index."""
    if problem_type == "semantic_segmentation":
        from .masks import SegmentationDecoder

        return SegmentationDecoder(task)
    if problem_type == "object_detection":
        from .boxes import DetectionDecoder

        return DetectionDecoder(task, processors["column"])
    return MatchDecoder(problem_type, task) if problem_type in MATCHING else Decoder(problem_type, task)
