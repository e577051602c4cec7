"""Image + text + numeric fusion on real digit images, every fusion/tabular/PEFT option."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from automm.core import ConfigError, InputError, MultiModalPredictor
from automm.core.persistence import FORMAT_VERSION
from automm.core.testing.tiny_models import tiny_hyperparameters
from automm.core.training import engine
from automm.core.training.engine import train


def _fit(table: pd.DataFrame, text_model: Path, path: Path, **hp) -> MultiModalPredictor:
    predictor = MultiModalPredictor(label="label", path=path,
                                    hyperparameters=tiny_hyperparameters(text_model, **{"optim.max_epochs": 3, **hp}))
    return predictor.fit(table.iloc[:200], seed=0, column_types={"caption": "text"})  # 3 distinct captions


def test_three_modalities_learn_and_reload(digits_table: pd.DataFrame, tiny_text_model: Path, tmp_path: Path) -> None:
    # z-scores, as predictors of format version 1 (rewritten below) standardised numeric columns
    predictor = _fit(digits_table, tiny_text_model, tmp_path / "p", **{"model.tabular.numerical_transform": "standard"})
    assert predictor.column_types == {"image": "image_path", "caption": "text", "ink": "numerical"}
    assert set(predictor.state.net.encoders) == {"text", "image", "tabular"}
    assert predictor.evaluate(digits_table.iloc[200:])["accuracy"] > 0.6
    reloaded = MultiModalPredictor.load(tmp_path / "p")
    np.testing.assert_array_equal(reloaded.extract_embedding(digits_table), predictor.extract_embedding(digits_table))
    _as_format_version_1(tmp_path / "p")
    old = MultiModalPredictor.load(tmp_path / "p")
    np.testing.assert_array_equal(old.extract_embedding(digits_table), predictor.extract_embedding(digits_table))


def _as_format_version_1(folder: Path) -> None:
    """Rewrite a saved predictor as automm-core 0.2.x wrote it: no recipe entries in processors.json."""
    meta = json.loads((folder / "predictor.json").read_text())
    processors = json.loads((folder / "processors.json").read_text())
    assert meta["format_version"] == FORMAT_VERSION
    assert processors["text"]["rule_version"] == 1 and processors["image"]["rule_version"] == 1
    meta["format_version"] = 1
    processors["numerical"] = {k: processors["numerical"][k] for k in ("columns", "medians", "means", "stds")}
    processors["text"] = {k: processors["text"][k] for k in ("columns", "max_length")}
    processors["image"] = {k: v for k, v in processors["image"].items() if k not in ("rule_version", "draft_size")}
    (folder / "predictor.json").write_text(json.dumps(meta))
    (folder / "processors.json").write_text(json.dumps(processors))


@pytest.mark.parametrize("hp", [
    {"model.fusion.model": "transformer", "model.tabular.model": "ft_transformer",
     "model.fusion.modality_dropout": 0.3},
    {"optim.peft": "lora"},
    {"optim.peft": "ia3"},
    {"optim.peft": "bitfit"},
    {"task.loss": "focal", "task.label_smoothing": 0.1},
], ids=["transformer-fusion", "lora", "ia3", "bitfit", "focal"])
def test_options_train_and_save_plain_weights(hp: dict, digits_table: pd.DataFrame, tiny_text_model: Path,
                                              tmp_path: Path) -> None:
    predictor = _fit(digits_table, tiny_text_model, tmp_path / "p", **hp)
    names = list(predictor.state.net.state_dict())
    assert not [n for n in names if "lora_" in n or "ia3_" in n or "base_model" in n]  # adapters merged
    reloaded = MultiModalPredictor.load(tmp_path / "p")
    pd.testing.assert_frame_equal(reloaded.predict_proba(digits_table), predictor.predict_proba(digits_table))


def test_continuous_training_keeps_the_model(digits_table: pd.DataFrame, tiny_text_model: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    predictor = _fit(digits_table, tiny_text_model, tmp_path / "p")
    first = {name: weight.clone() for name, weight in predictor.state.net.state_dict().items()}
    started_from: dict[str, torch.Tensor] = {}

    def recording_train(net: torch.nn.Module, *args, **kwargs):
        started_from.update({name: weight.clone() for name, weight in net.state_dict().items()})
        return train(net, *args, **kwargs)

    monkeypatch.setattr(engine, "train", recording_train)
    predictor.fit(digits_table.iloc[100:220])
    assert started_from.keys() == first.keys()
    assert [n for n in first if not torch.equal(started_from[n], first[n])] == []  # starts from the first fit's weights
    assert any(not torch.equal(w, first[n]) for n, w in predictor.state.net.state_dict().items())  # and trains on
    assert predictor.class_labels == ["high", "low"]
    unseen = digits_table.iloc[:20].assign(label="medium")
    with pytest.raises(InputError, match="medium"):
        predictor.fit(pd.concat([digits_table.iloc[:20], unseen]))


def test_search_and_signatures_need_a_matching_predictor(tmp_path: Path, digits_table: pd.DataFrame,
                                                         tiny_text_model: Path) -> None:
    predictor = MultiModalPredictor(label="label", path=tmp_path / "p",
                                    hyperparameters=tiny_hyperparameters(tiny_text_model, **{"optim.max_epochs": 1}))
    predictor.fit(digits_table.head(60))
    with pytest.raises(ConfigError, match="search\\(\\) needs a matching predictor"):
        predictor.search(digits_table.head(2), digits_table)
    with pytest.raises(ConfigError, match="not a side of this predictor"):
        predictor.extract_embedding(digits_table.head(2), signature="query")
    assert predictor.extract_embedding(digits_table.head(2)).shape[0] == 2
