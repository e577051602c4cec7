"""Predictors saved by automm-core 0.4 (format 4) and 0.5 (format 5) load with the current code and answer as the
version that saved them did.

The fixtures and the answers were written by those versions themselves (tests/compat/make_format4.py).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from automm.core import MultiModalPredictor

COMPAT = Path(__file__).parent / "compat"
FORMATS = ["format4", "format5", "format6"]
IMAGE_COLUMNS = {"multimodal": ["image"], "detection": ["image"], "segmentation": ["image"]}
TOLERANCE = {"rtol": 1e-4, "atol": 1e-5}
# Segmentation probability maps are float16: numpy's bilinear resize and torch's may round one step apart there.
FLOAT16_STEP = {"rtol": 0.0, "atol": 2.5e-4}


def rows(saved_format: str, name: str) -> pd.DataFrame:
    """The rows the saving version was asked about, with image paths made absolute."""
    folder = COMPAT / saved_format / name
    frame = pd.read_json(folder / "rows.json", orient="records")
    for column in IMAGE_COLUMNS.get(name, []):
        frame[column] = [str(folder / path) for path in frame[column]]
    return frame


@pytest.fixture(scope="module", params=FORMATS)
def saved(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """(format, a copy of its fixtures): loading must not need write access, but a copy keeps the checkout clean."""
    target = tmp_path_factory.mktemp(request.param)
    shutil.copytree(COMPAT / request.param, target, dirs_exist_ok=True)
    return request.param, target


def same(actual: Any, expected: Any, tolerance: dict[str, float] = TOLERANCE) -> None:
    """Equal labels, numbers within ``tolerance``, recursively through lists and dicts."""
    if isinstance(expected, dict):
        assert sorted(actual) == sorted(expected)
        for key, value in expected.items():
            same(actual[key], value, tolerance)
    elif isinstance(expected, list):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected):
            same(a, e, tolerance)
    elif isinstance(expected, float):
        np.testing.assert_allclose(actual, expected, **tolerance)
    else:
        assert actual == expected


def as_plain(value: Any) -> Any:
    """A prediction as JSON-like values, the way make_format4.py recorded them."""
    if isinstance(value, pd.DataFrame):
        return {str(c): as_plain(value[c]) for c in value.columns}
    if isinstance(value, pd.Series):
        return [as_plain(v) for v in value.tolist()]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list):
        return [as_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): as_plain(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize("name", ["multimodal", "regression", "multilabel", "text_similarity", "ner", "segmentation"])
def test_an_older_predictor_answers_as_it_did(saved: tuple[str, Path], name: str) -> None:
    saved_format, folder = saved
    predictor = MultiModalPredictor.load(folder / name / "predictor")
    expected = json.loads((COMPAT / saved_format / name / "expected.json").read_text())
    same(as_plain(predictor.predict(rows(saved_format, name))), expected["predict"])
    if "predict_proba" in expected:
        tolerance = FLOAT16_STEP if name == "segmentation" else TOLERANCE
        same(as_plain(predictor.predict_proba(rows(saved_format, name))), expected["predict_proba"], tolerance)


def test_an_older_detector_finds_the_same_boxes(saved: tuple[str, Path]) -> None:
    saved_format, folder = saved
    predictor = MultiModalPredictor.load(folder / "detection" / "predictor")
    expected = json.loads((COMPAT / saved_format / "detection" / "expected.json").read_text())["predict"]
    found = predictor.predict(rows(saved_format, "detection"))
    same(as_plain(found["bboxes"]), expected["bboxes"])
    assert [Path(p).name for p in found["image"]] == [Path(p).name for p in expected["image"]]
