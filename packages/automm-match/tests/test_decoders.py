"""The matcher decodes through core's torch-free match decoder: rebuilt from the task's spec JSON (as an export
carries it), it answers as the task, whose answers are automm-match 0.4's formulas."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from automm.core.base.decoding import decoder_from_spec
from automm.core.errors import ConfigError
from automm.match.task import MatchTask

SIDES = {"query": ["q"], "response": ["r"]}


def unit_pairs(rows: int) -> np.ndarray:
    vectors = np.random.default_rng(rows).normal(size=(rows, 2, 8)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


@pytest.mark.parametrize("kind", ["binary", "positive", "graded"])
def test_match_decoder_is_the_tasks(kind: str) -> None:
    task = MatchTask("text_similarity", SIDES, "label", kind, "yes", "no", (0.0, 5.0), (7.0, -2.0))
    decoder = decoder_from_spec(json.loads(json.dumps(task.decoder_spec())))
    outputs, index = unit_pairs(9), pd.RangeIndex(9)
    similarity = (outputs[:, 0] * outputs[:, 1]).sum(axis=1)
    pd.testing.assert_series_equal(decoder.predict(outputs, index), task.predict(outputs, index))
    if kind == "graded":
        np.testing.assert_array_equal(task.predict(outputs, index), np.clip(similarity, 0, 1) * 5.0)
        with pytest.raises(ConfigError, match="graded"):
            task.predict_proba(outputs, index)
        return
    probability = 1.0 / (1.0 + np.exp(-(7.0 * similarity - 2.0)))
    pd.testing.assert_frame_equal(decoder.predict_proba(outputs, index), task.predict_proba(outputs, index))
    np.testing.assert_array_equal(task.predict_proba(outputs, index)["yes"], probability)
    assert task.predict(outputs, index).tolist() == np.where(probability >= 0.5, "yes", "no").tolist()
    assert task.predict(outputs[:0], index[:0]).empty
