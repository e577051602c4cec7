"""The same seed on the same machine gives the same model (see README: Reliability)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from automm.core import MultiModalPredictor
from automm.core.testing.tiny_models import tiny_hyperparameters


def _fit(table: pd.DataFrame, text_model: Path, path: Path, seed: int) -> pd.DataFrame:
    hp = tiny_hyperparameters(text_model, **{"optim.max_epochs": 2})
    predictor = MultiModalPredictor(label="label", path=path, hyperparameters=hp)
    predictor.fit(table.iloc[:120], seed=seed, column_types={"caption": "text"})
    return predictor.predict_proba(table.iloc[120:160])


def test_same_seed_same_predictions(digits_table: pd.DataFrame, tiny_text_model: Path, tmp_path: Path) -> None:
    first = _fit(digits_table, tiny_text_model, tmp_path / "a", seed=3)
    second = _fit(digits_table, tiny_text_model, tmp_path / "b", seed=3)
    pd.testing.assert_frame_equal(first, second, check_exact=True)
    other = _fit(digits_table, tiny_text_model, tmp_path / "c", seed=4)
    assert not other.equals(first)
