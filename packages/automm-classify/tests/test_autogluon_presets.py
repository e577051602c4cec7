"""AutoGluon-MM's ``presets="multilingual"`` on the classification tasks (core resolves it for every task)."""

from __future__ import annotations

import pytest

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
