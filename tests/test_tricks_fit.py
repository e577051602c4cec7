"""The bag of tricks through fit/save/load on real digit images with text: training changes, inference does not."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from automm.core import ConfigError, MultiModalPredictor
from automm.core.testing.tiny_models import tiny_hyperparameters
from automm.core.training import alignment, module

TRICKS = {"model.text.augment_delete": 0.2, "model.text.augment_swap": 0.2,
          "model.image.augment_policy": "trivial_augment", "model.fusion.alignment": "infonce",
          "optim.mixup_alpha": 0.4, "model.fusion.missing_modality": "impute"}


def test_tricks_train_and_predict_identically_after_load(digits_table: pd.DataFrame, tiny_text_model: Path,
                                                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    terms: list[float] = []
    mixups: list[float] = []
    forward = alignment.CrossModalAlignment.forward

    def recording_forward(self, parts, batch):
        term = forward(self, parts, batch)
        terms.append(term.item())
        return term

    def recording_mixup(*args, **kwargs):
        value = mixup(*args, **kwargs)
        mixups.append(value.item())
        return value

    mixup = module.mixup_loss
    monkeypatch.setattr(alignment.CrossModalAlignment, "forward", recording_forward)
    monkeypatch.setattr(module, "mixup_loss", recording_mixup)
    predictor = MultiModalPredictor(label="label", path=tmp_path / "p",
                                    hyperparameters=tiny_hyperparameters(tiny_text_model, **TRICKS,
                                                                         **{"optim.max_epochs": 1}))
    predictor.fit(digits_table.iloc[:64], seed=0, column_types={"caption": "text"})
    assert terms and all(term > 0 for term in terms)  # the alignment term was added at every step
    assert mixups and len(mixups) == len(terms)
    saved = json.loads((tmp_path / "p" / "predictor.json").read_text())["config"]
    assert saved["model"]["fusion"]["alignment"] == "infonce" and saved["optim"]["mixup_alpha"] == 0.4
    assert not [name for name in predictor.state.net.state_dict() if "alignment" in name]  # not saved
    reloaded = MultiModalPredictor.load(tmp_path / "p")
    assert reloaded.state.net.missing_modality == "impute"
    test = digits_table.iloc[200:]
    pd.testing.assert_frame_equal(reloaded.predict_proba(test), predictor.predict_proba(test))
    pd.testing.assert_frame_equal(predictor.predict_proba(test), predictor.predict_proba(test))  # no augmentation


def test_matching_refuses_mixup(tiny_text_model: Path, tmp_path: Path) -> None:
    pairs = pd.DataFrame({"question": ["a cat", "a dog", "red food", "blue one"] * 3,
                          "answer": ["the cat", "the dog", "green food", "big blue"] * 3})
    matcher = MultiModalPredictor(problem_type="text_similarity", query="question", response="answer",
                                  path=tmp_path / "m",
                                  hyperparameters=tiny_hyperparameters(tiny_text_model, **{"optim.mixup_alpha": 0.2}))
    with pytest.raises(ConfigError, match="optim.mixup_alpha.*not supported by the text_similarity"):
        matcher.fit(pairs)
    assert not (tmp_path / "m").exists()  # refused before anything was written
