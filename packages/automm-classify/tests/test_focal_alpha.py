"""``task.focal_alpha``: per-class weights of the focal loss (AutoGluon's ``optim.focal_loss.alpha``)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from automm.classify.config import ClassificationConfig
from automm.classify.losses import FocalLoss, classification_loss
from automm.core import ConfigError, MultiModalPredictor
from automm.core.config import Config


def test_alpha_weighs_each_row_by_its_class() -> None:
    torch.manual_seed(0)
    logits, targets = torch.randn(6, 2), torch.tensor([0, 1, 0, 1, 1, 0])
    ce = F.cross_entropy(logits, targets, reduction="none")
    terms = (1 - torch.exp(-ce)) ** 2.0 * ce
    weights = torch.tensor([3.0, 0.5])[targets]
    assert float(FocalLoss(2.0, alpha=(3.0, 0.5))(logits, targets)) == pytest.approx(float((weights * terms).mean()))
    assert float(FocalLoss(2.0)(logits, targets)) == pytest.approx(float(terms.mean()))
    only_first = FocalLoss(2.0, alpha=(1.0, 0.0))(logits, targets)
    assert float(only_first) == pytest.approx(float(terms[targets == 0].sum() / len(targets)))


def test_alpha_is_checked_against_the_classes_and_the_loss() -> None:
    with pytest.raises(ConfigError, match="2 weight.*3 classes"):
        classification_loss(ClassificationConfig(loss="focal", focal_alpha=(1.0, 2.0)), 3)
    with pytest.raises(ConfigError, match="task.loss='focal'"):
        classification_loss(ClassificationConfig(loss="cross_entropy", focal_alpha=(1.0, 2.0)), 2)
    for bad in ([], [1.0, -1.0], "1,2", [True, 1.0]):
        with pytest.raises(ConfigError, match="task.focal_alpha"):
            Config(task=ClassificationConfig()).override({"task.focal_alpha": bad})


def test_alpha_round_trips_through_the_saved_config() -> None:
    config = Config(task=ClassificationConfig()).override({"task.loss": "focal", "task.focal_alpha": [1, 0.5]})
    assert config.task.focal_alpha == (1.0, 0.5)
    saved = json.loads(json.dumps(config.to_dict()))
    assert Config.from_dict(saved, ClassificationConfig()) == config
    del saved["task"]["focal_alpha"]  # a save from before the key
    assert Config.from_dict(saved, ClassificationConfig()).task.focal_alpha is None


def test_fit_refuses_alpha_of_the_wrong_length_before_writing(iris: pd.DataFrame, tmp_path: Path) -> None:
    predictor = MultiModalPredictor(label="label", path=tmp_path / "p",
                                    hyperparameters={"task.loss": "focal", "task.focal_alpha": [1.0, 2.0]})
    with pytest.raises(ConfigError, match="3 classes"):
        predictor.fit(iris)
    assert not (tmp_path / "p").exists()


def test_fit_with_alpha_trains_and_saves_it(iris: pd.DataFrame, tmp_path: Path) -> None:
    hp = {"optim.max_epochs": 1, "task.loss": "focal", "task.focal_alpha": [1.0, 2.0, 0.5]}
    predictor = MultiModalPredictor(label="label", path=tmp_path / "p", hyperparameters=hp).fit(iris)
    loaded = MultiModalPredictor.load(tmp_path / "p")
    assert loaded.state.config.task.focal_alpha == (1.0, 2.0, 0.5)
    pd.testing.assert_series_equal(loaded.predict(iris), predictor.predict(iris))
