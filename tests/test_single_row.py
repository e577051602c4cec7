"""Single-row predict: the realtime path does no per-call pandas work, and predicts as the batch path does."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from automm.core import MultiModalPredictor


@pytest.fixture(scope="module")
def predictor(tmp_path_factory: pytest.TempPathFactory) -> MultiModalPredictor:
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"size": rng.normal(size=80), "count": rng.integers(0, 9, 80),
                          "colour": rng.choice(["red", "blue", "green"], 80), "label": rng.choice(["a", "b", "c"], 80)})
    predictor = MultiModalPredictor(label="label", path=tmp_path_factory.mktemp("p") / "p", verbosity=0)
    return predictor.fit(table, hyperparameters={"optim.max_epochs": 1})


@pytest.fixture
def messy_rows() -> pd.DataFrame:
    """Missing values, unseen categories, strings and infinities in numeric columns, an extra column."""
    return pd.DataFrame({"size": [0.5, None, "1.5", "x", np.inf] * 14, "count": [1, 2, None, 7, 3] * 14,
                         "colour": ["red", None, "purple", 3, "blue"] * 14, "note": ["extra"] * 70},
                        index=[f"r{i}" for i in range(70)])


def test_single_row_predict_builds_no_pandas_objects_per_column(predictor: MultiModalPredictor,
                                                                  messy_rows: pd.DataFrame,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A sub-table or a Series per column costs more than a small network's whole forward pass."""
    calls: list[str] = []

    def counted(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        return lambda self, *args, **kwargs: calls.append(name) or original(self, *args, **kwargs)

    for owner, name in [(pd.DataFrame, "__getitem__"), (pd.Series, "astype"), (pd.Series, "map")]:
        monkeypatch.setattr(owner, name, counted(name, getattr(owner, name)))
    predictor.predict(messy_rows.iloc[[0]])
    assert calls == []


def test_single_rows_predict_what_the_batch_path_predicts(predictor: MultiModalPredictor,
                                                          messy_rows: pd.DataFrame) -> None:
    batch = predictor.predict_proba(messy_rows)  # more rows than env.realtime_max_rows: the DataLoader path
    single = pd.concat([predictor.predict_proba(messy_rows.iloc[[i]]) for i in range(len(messy_rows))])
    pd.testing.assert_frame_equal(single, batch)
    labels = predictor.predict(messy_rows.iloc[:5])
    expected = pd.Series(np.asarray(predictor.class_labels, dtype=object)[batch.to_numpy()[:5].argmax(axis=1)],
                         index=messy_rows.index[:5], name="label")
    pd.testing.assert_series_equal(labels, expected)  # same values and the dtype pandas infers for them


def test_saved_predictor_predicts_single_rows_the_same(predictor: MultiModalPredictor, messy_rows: pd.DataFrame,
                                                       tmp_path: Path) -> None:
    loaded = MultiModalPredictor.load(predictor.save(tmp_path / "copy"))
    row = messy_rows.iloc[[3]]
    pd.testing.assert_frame_equal(loaded.predict_proba(row), predictor.predict_proba(row))
