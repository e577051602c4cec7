"""AutoGluon-MM's training options through fit, save and load: steps, accumulation, soup, compile, modalities."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from automm.core import MultiModalPredictor
from automm.core.testing.tiny_models import tiny_hyperparameters


def test_step_cap_accumulation_sgd_and_compile_fit_save_and_load(iris: pd.DataFrame, tmp_path: Path) -> None:
    hp = {"optim.batch_size": 8, "optim.effective_batch_size": 32, "optim.max_steps": 3, "optim.max_epochs": 5,
          "optim.optimizer": "sgd", "optim.lr_schedule": "linear", "optim.soup": "uniform", "optim.top_k": 2,
          "env.compile": True, "env.compile_backend": "eager"}
    predictor = MultiModalPredictor(label="label", path=tmp_path / "p", hyperparameters=hp).fit(iris, seed=0)
    summary = predictor.fit_summary
    assert summary["steps"] == 3 and summary["stopped_by"] == "max_steps"
    assert summary["soup_size"] == 1  # validated once, at the cap: one checkpoint to average
    assert not [k for k in predictor.state.net.state_dict() if "_orig_mod" in k]
    saved = json.loads((tmp_path / "p" / "predictor.json").read_text())["config"]
    assert (saved["optim"]["max_steps"], saved["env"]["compile"], saved["optim"]["soup"]) == (3, True, "uniform")
    loaded = MultiModalPredictor.load(tmp_path / "p")
    pd.testing.assert_frame_equal(loaded.predict_proba(iris), predictor.predict_proba(iris))


def test_modalities_keep_only_the_named_backbones(digits_table: pd.DataFrame, tiny_text_model: Path,
                                                  tmp_path: Path) -> None:
    hp = tiny_hyperparameters(tiny_text_model, **{"optim.max_epochs": 1, "model.modalities": ["tabular"]})
    predictor = MultiModalPredictor(label="label", path=tmp_path / "p", hyperparameters=hp)
    predictor.fit(digits_table.iloc[:64], seed=0, column_types={"caption": "text"})
    assert predictor.state.feature_columns == ["ink"]
    assert predictor.state.processors.text is None and predictor.state.processors.image is None
    rows = digits_table.iloc[200:][["ink"]]  # the dropped columns are not needed to predict
    assert len(MultiModalPredictor.load(tmp_path / "p").predict(rows)) == len(rows)


@pytest.mark.slow  # inductor compiles C++ kernels: over a minute on a shared 2-core CPU
def test_inductor_compiled_fit_saves_plain_weights(iris: pd.DataFrame, tmp_path: Path) -> None:
    hp = {"optim.max_steps": 2, "optim.top_k": 1, "env.compile": True}
    predictor = MultiModalPredictor(label="label", path=tmp_path / "p", hyperparameters=hp).fit(iris, seed=0)
    assert predictor.fit_summary["steps"] == 2
    loaded = MultiModalPredictor.load(tmp_path / "p")
    pd.testing.assert_frame_equal(loaded.predict_proba(iris), predictor.predict_proba(iris))
