"""A detector reads its image settings from its task section: core's image keys are refused, naming the task key."""

from __future__ import annotations

from pathlib import Path

import pytest

from automm.core import ConfigError, MultiModalPredictor

from .conftest import TINY


@pytest.mark.parametrize(("key", "value", "named"), [("model.image.image_size", 640, r"'task\.image_size'"),
                                                     ("model.image.checkpoint", "resnet18", r"'task\.backbone'"),
                                                     ("model.text.max_length", 64, r"Remove it")])
def test_a_core_key_the_detector_does_not_read_is_refused_before_anything_is_written(
        train_json: Path, tmp_path: Path, key: str, value: object, named: str) -> None:
    predictor = MultiModalPredictor(problem_type="object_detection", path=tmp_path / "p",
                                    hyperparameters={**TINY, key: value})
    with pytest.raises(ConfigError, match=rf"{key.replace('.', '[.]')}.*object_detection.*{named}"):
        predictor.fit(str(train_json))
    assert not (tmp_path / "p").exists()
