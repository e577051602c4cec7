"""The loss settings live in the task's Config section: checked before fit writes anything, old names still read."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from automm.classify.config import ClassificationConfig, MultilabelConfig, RegressionConfig
from automm.core import ConfigError, MultiModalPredictor
from automm.core.config import Config


@pytest.mark.parametrize(("problem_type", "label", "typo", "fix"), [("multiclass", "label", "focall", "focal"),
                                                                   ("regression", "petal_width", "hubber", "huber")])
def test_a_misspelt_loss_is_refused_before_anything_is_written(iris: pd.DataFrame, tmp_path: Path, problem_type: str,
                                                               label: str, typo: str, fix: str) -> None:
    predictor = MultiModalPredictor(label=label, problem_type=problem_type, path=tmp_path / "p",
                                    hyperparameters={"optim.loss": typo})
    with pytest.raises(ConfigError, match=f'task.loss.*{typo!r}.*Did you mean "{fix}"'):
        predictor.fit(iris)
    assert not (tmp_path / "p").exists()


def _as_saved_by_core_0_2(config: dict) -> dict:
    """A Config dict as automm-core 0.2.x wrote it: the loss settings it had in ``optim``, an empty ``task``."""
    moved = {k: v for k, v in config["task"].items() if k in ("loss", "label_smoothing", "focal_gamma")}
    return {**config, "optim": {**config["optim"], "loss": "auto", "label_smoothing": 0.0, "focal_gamma": 2.0,
                                **moved}, "task": {}}


@pytest.mark.parametrize("task", [ClassificationConfig(loss="focal", label_smoothing=0.1, focal_gamma=1.5),
                                  RegressionConfig(loss="mae"), MultilabelConfig(label_smoothing=0.2)])
def test_configs_saved_with_the_loss_in_optim_still_load(task: object) -> None:
    old = _as_saved_by_core_0_2(Config(task=task).to_dict())
    assert "loss" in old["optim"] and not old["task"]
    assert Config.from_dict(old, type(task)()) == Config(task=task)


def test_a_predictor_saved_with_the_loss_in_optim_loads(iris: pd.DataFrame, tmp_path: Path) -> None:
    hp = {"optim.max_epochs": 1, "task.loss": "focal", "task.label_smoothing": 0.1}
    predictor = MultiModalPredictor(label="label", path=tmp_path / "p", hyperparameters=hp).fit(iris)
    meta = json.loads((tmp_path / "p" / "predictor.json").read_text())
    meta["config"] = _as_saved_by_core_0_2(meta["config"])
    (tmp_path / "p" / "predictor.json").write_text(json.dumps(meta))
    loaded = MultiModalPredictor.load(tmp_path / "p")
    assert loaded.state.config.task == ClassificationConfig(loss="focal", label_smoothing=0.1)
    pd.testing.assert_series_equal(loaded.predict(iris), predictor.predict(iris))


def test_a_classifier_still_reads_core_image_settings(tmp_path: Path) -> None:
    """``model.image.image_size`` is refused on a detector (automm-detect's tests) but is a classifier's setting."""
    from automm.core.config import check_applicable
    from automm.core.discovery import task_class

    task = task_class("multiclass")
    check_applicable({"model.image.image_size": 640}, task.config_sections, task.config_hints, "multiclass")
    config = Config(task=ClassificationConfig()).override({"model.image.image_size": 640})
    assert config.model.image.image_size == 640
