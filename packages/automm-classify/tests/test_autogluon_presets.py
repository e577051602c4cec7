"""AutoGluon-MM's ``presets="multilingual"`` (core resolves it for every task) and AutoGluon keys in a fit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automm.core import MultiModalPredictor
from automm.core.errors import ConfigError
from automm.core.presets import DEFAULT_PRESET, MULTILINGUAL_TEXT, resolve


@pytest.mark.parametrize("problem_type", ["binary", "multiclass", "regression", "ner"])
def test_multilingual_preset_is_the_default_with_a_multilingual_text_backbone(problem_type: str) -> None:
    config, default = resolve(problem_type, "multilingual"), resolve(problem_type, DEFAULT_PRESET)
    assert config.model.text.checkpoint == MULTILINGUAL_TEXT == "microsoft/mdeberta-v3-base"
    assert config.model.image == default.model.image and config.optim == default.optim
    assert type(config.task) is type(default.task)
    assert resolve(problem_type, "multilingual_hpo") == config


def test_unknown_presets_are_still_refused() -> None:
    with pytest.raises(ConfigError, match="Unknown preset .multilingal.. Did you mean \"multilingual\""):
        resolve("binary", "multilingal")


def test_fit_with_autogluon_keys_as_a_dotlist_string(tiny_text_model: Path, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    labels = rng.choice(["yes", "no"], size=32)
    table = pd.DataFrame({"review": [f"{'good' if y == 'yes' else 'bad'} food {i}" for i, y in enumerate(labels)],
                          "label": labels})
    dotlist = (f"model.hf_text.checkpoint_name={tiny_text_model} model.hf_text.max_text_len=32 "
               "optimization.learning_rate=1e-3 optim.max_epochs=1 env.per_gpu_batch_size=8 "
               "optim.lr_decay=0.8 optim.top_k=1 optim.focal_loss.gamma=1.5 optim.loss_func=focal_loss")
    predictor = MultiModalPredictor(label="label", path=tmp_path / "model", verbosity=0)
    predictor.fit(table, hyperparameters=dotlist)
    config = predictor.state.config
    assert (config.model.text.checkpoint, config.model.text.max_length) == (str(tiny_text_model), 32)
    assert (config.optim.lr, config.optim.batch_size, config.optim.layerwise_lr_decay) == (1e-3, 8, 0.8)
    assert (config.task.loss, config.task.focal_gamma) == ("focal", 1.5)
    assert len(predictor.predict(table)) == len(table)
