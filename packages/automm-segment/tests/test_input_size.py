"""The segmenter's input size: chosen from the training images unless ``task.image_size`` is given, never above the
backend's default (smp 384, SAM 1024); saved with the predictor, and named in the fit summary."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from automm.core import MultiModalPredictor
from automm.core.plugin import Config
from automm.core.vision.input_size import InputSizeChoice
from automm.segment.presets import PRESETS
from automm.segment.task import SegmentationTask
from automm.segment.testing.tiny_sam import save_tiny_sam

from .conftest import IMAGE_SIZE, TINY

AUTO = {key: value for key, value in TINY.items() if key != "task.image_size"}


def _built_size(labels: pd.Series, images: pd.Series, overrides: dict,
                preset: Config = PRESETS["medium_quality"]) -> int:
    """The input side of a segmenter built as fit builds it: the preset, the user's overrides, then the task."""
    task = SegmentationTask.fit(labels.to_frame("label"), "semantic_segmentation")
    configured, config = task.configure(preset.override(overrides), overrides)
    built = configured.build(images.to_frame("image"), {}, config)
    assert built.spec.options.image_size == built.processors.image_size
    return built.processors.image_size


def test_a_fit_without_task_image_size_letterboxes_to_the_training_images(train_table: pd.DataFrame,
                                                                          tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture) -> None:
    predictor = MultiModalPredictor(problem_type="semantic_segmentation", label="label", path=tmp_path / "p",
                                    hyperparameters={**AUTO, "optim.max_epochs": 1})
    predictor.fit(train_table, seed=0)
    choice = InputSizeChoice(size=IMAGE_SIZE, preset=384, covered=IMAGE_SIZE, images=24)
    assert predictor.state.processors.image_size == IMAGE_SIZE and predictor.state.network_spec.input_size == choice
    assert ("segmenter unet (smp), input size 96 px chosen from the training images (90% are ≤ 96 px; preset 384)"
            in capsys.readouterr().err)
    loaded = MultiModalPredictor.load(tmp_path / "p")
    assert loaded.state.processors.image_size == IMAGE_SIZE and loaded.state.network_spec.input_size == choice


def test_the_users_image_size_wins_and_the_choice_stays_under_the_preset(train_table: pd.DataFrame) -> None:
    labels, images = train_table["label"], train_table["image"]
    assert _built_size(labels, images, AUTO) == IMAGE_SIZE
    assert _built_size(labels, images, {**AUTO, "task.image_size": 512}) == 512  # above the preset's 384
    preset = PRESETS["medium_quality"]
    small = dataclasses.replace(preset, task=dataclasses.replace(preset.task, image_size=64))
    assert _built_size(labels, images, AUTO, small) == 64


def test_sam_fine_tuning_chooses_too_but_zero_shot_keeps_its_size(train_table: pd.DataFrame, tmp_path: Path) -> None:
    """SAM takes any multiple of its patch (its position tables are resized as the weights load): a fit on 96 px
    images runs at 96 px, not 1024; before any fit (no training images) the pretrained size stays."""
    sam = {"model.sam.checkpoint_name": str(save_tiny_sam(tmp_path / "sam_vit_tiny.pth"))}
    labels, images = train_table["label"], train_table["image"]
    assert _built_size(labels, images, sam) == IMAGE_SIZE
    assert _built_size(labels, images, {**sam, "task.image_size": 128}) == 128
    assert _built_size(pd.Series(pd.NA, index=labels.index), images, sam) == 1024
