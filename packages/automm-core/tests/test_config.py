from __future__ import annotations

import pytest

from automm.core.config import Config, valid_keys
from automm.core.errors import ConfigError


def test_dotted_and_nested_overrides() -> None:
    config = Config().override({"optim.lr": "3e-4", "model": {"text": {"pooling": "cls"}}, "optim.max_epochs": 2.0})
    assert config.optim.lr == 3e-4 and config.model.text.pooling == "cls" and config.optim.max_epochs == 2
    assert Config().optim.lr == 1e-4  # frozen defaults are untouched


def test_unknown_key_suggests_closest() -> None:
    with pytest.raises(ConfigError, match='Did you mean "optim.lr"'):
        Config().override({"optim.lr_rate": 1e-3})


@pytest.mark.parametrize(("key", "value"), [("optim.max_epochs", 2.5), ("model.image.pretrained", "maybe"),
                                            ("optim.lr", True), ("model.text.checkpoint", ["a"])])
def test_wrong_types_are_rejected(key: str, value: object) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        Config().override({key: value})


def test_round_trip_through_dict() -> None:
    config = Config().override({"model.tabular.model": "ft_transformer", "optim.peft": "lora"})
    assert Config.from_dict(config.to_dict()) == config
    assert "env.realtime_max_rows" in valid_keys()


def test_loss_settings_belong_to_the_task() -> None:
    """Core has no loss: a task without one refuses optim.loss, and older saved configs holding it still load."""
    with pytest.raises(ConfigError, match="Unknown hyperparameter 'optim.loss'"):
        Config().override({"optim.loss": "focal"})
    saved_by_core_0_2 = Config().to_dict()
    saved_by_core_0_2["optim"].update(loss="auto", label_smoothing=0.0, focal_gamma=2.0)
    assert Config.from_dict(saved_by_core_0_2) == Config()
