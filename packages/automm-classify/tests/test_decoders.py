"""Each classify task decodes through core's torch-free decoder its spec names: the decoder rebuilt from the spec's
JSON (as an export carries it) answers exactly as the task, which answers as automm-classify 0.4 computed."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from scipy.special import softmax as scipy_softmax

from automm.classify.classification import ClassificationTask
from automm.classify.few_shot import FewShotClassificationTask
from automm.classify.multilabel import MultilabelTask
from automm.classify.regression import RegressionTask
from automm.core.base.decoding import decoder_from_spec

LOGITS = np.random.default_rng(0).normal(0, 3, (7, 3)).astype(np.float32)
INDEX = pd.RangeIndex(100, 107)


def rebuilt(task: object) -> object:
    return decoder_from_spec(json.loads(json.dumps(task.decoder_spec())))


@pytest.mark.parametrize("task", [ClassificationTask("multiclass", "y", ["a", 2, "c"]),
                                  FewShotClassificationTask("few_shot_classification", "y", [0, 1, 2])])
def test_classification(task: ClassificationTask) -> None:
    decoder = rebuilt(task)
    pd.testing.assert_series_equal(decoder.predict(LOGITS, INDEX), task.predict(LOGITS, INDEX))
    pd.testing.assert_frame_equal(decoder.predict_proba(LOGITS, INDEX), task.predict_proba(LOGITS, INDEX))
    expected = np.asarray(task.classes, dtype=object)[LOGITS.argmax(axis=1)]
    assert task.predict(LOGITS, INDEX).tolist() == expected.tolist()
    np.testing.assert_allclose(task.predict_proba(LOGITS, INDEX).to_numpy(), scipy_softmax(LOGITS, axis=1),
                               rtol=1e-6)


def test_multilabel_sigmoid_is_scipys() -> None:
    """numpy's sigmoid, as scipy's ``expit`` computed it in automm-classify 0.4 (to 1 float32 ulp: numpy's and
    libm's ``exp`` round differently), with the same labels."""
    task = MultilabelTask(["p", "q", "r"], [[0, 1], ["n", "y"], [False, True]])
    decoder = rebuilt(task)
    pd.testing.assert_frame_equal(decoder.predict(LOGITS, INDEX), task.predict(LOGITS, INDEX))
    proba = task.predict_proba(LOGITS, INDEX)
    pd.testing.assert_frame_equal(decoder.predict_proba(LOGITS, INDEX), proba)
    np.testing.assert_allclose(proba.to_numpy(), expit(LOGITS), rtol=2.5e-7, atol=0)
    np.testing.assert_allclose(task.predict_proba(LOGITS.astype(np.float64), INDEX).to_numpy(),
                               expit(LOGITS.astype(np.float64)), rtol=1e-15, atol=0)
    labels = np.where(expit(LOGITS) >= 0.5, [1, "y", True], [0, "n", False])
    assert task.predict(LOGITS, INDEX).astype(str).to_numpy().tolist() == labels.astype(str).tolist()


@pytest.mark.parametrize("columns", [["y"], ["y", "z", "w"]])
def test_regression(columns: list[str]) -> None:
    width = len(columns)
    task = RegressionTask("regression" if width == 1 else "multi_output_regression", columns, [1.5] * width,
                          [4.0] * width)
    outputs = LOGITS[:, :width]
    found, expected = rebuilt(task).predict(outputs, INDEX), task.predict(outputs, INDEX)
    assert type(found) is type(expected) and (isinstance(found, pd.Series) == (width == 1))
    np.testing.assert_array_equal(np.asarray(found), np.asarray(expected))
    old = outputs * np.asarray([4.0] * width) + np.asarray([1.5] * width)  # automm-classify 0.4's decoding
    np.testing.assert_array_equal(np.asarray(expected).reshape(len(outputs), width), old)
