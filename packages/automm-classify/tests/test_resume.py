"""A fit killed with SIGKILL mid-training resumes with ``load(path, resume=True)``."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from automm.core import MultiModalPredictor, PredictorLoadError
from automm.core.testing.killed_fit import kill_fit_after_first_checkpoint
from automm.core.testing.tiny_models import tiny_hyperparameters


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_killed_fit_resumes_and_finishes(iris: pd.DataFrame, tiny_text_model: Path, tmp_path: Path) -> None:
    table = pd.concat([iris] * 4, ignore_index=True)
    table.to_csv(tmp_path / "train.csv", index=False)
    hp = tiny_hyperparameters(tiny_text_model, **{"optim.max_epochs": 4, "optim.checkpoint_every_n_steps": 3,
                                                  "optim.batch_size": 8, "optim.patience": 100})
    path = tmp_path / "predictor"
    kill_fit_after_first_checkpoint({"label": "label", "path": str(path), "hyperparameters": hp},
                                    tmp_path / "train.csv")

    with pytest.raises(PredictorLoadError, match="resume=True"):
        MultiModalPredictor.load(path)
    resumed = MultiModalPredictor.load(path, resume=True)
    assert resumed._resume_checkpoint is not None
    resumed.fit(table)
    summary = resumed.fit_summary
    assert 0 < summary["resumed_from_step"] < summary["steps"]

    loaded = MultiModalPredictor.load(path)
    assert not (path / "training").exists()
    pd.testing.assert_series_equal(loaded.predict(iris), resumed.predict(iris))
    assert loaded.evaluate(iris)["accuracy"] > 0.5
