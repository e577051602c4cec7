"""AutoGluon-MM's ``model.sam.*`` keys on the segmentation task section."""

from __future__ import annotations

import pytest

from automm.core.errors import ConfigError
from automm.core.plugin import Config
from automm.segment.config import SegmentConfig


def test_sam_train_transforms_set_the_flip() -> None:
    config = Config(task=SegmentConfig())
    assert config.task.flip
    no_flip = config.override({"model.sam.train_transforms": []}).task
    assert not no_flip.flip and no_flip.train_transforms is None
    assert config.override({"model.sam.train_transforms": ["random_horizontal_flip"]}).task.flip
    assert config.override({"model.sam.train_transforms": [], "task.flip": True}).task.flip  # cleared after use
    with pytest.raises(ConfigError, match="task.scale_jitter_min"):
        config.override({"model.sam.train_transforms": ["random_vertical_flip"]})
