"""The detector's input size: chosen from the training images unless ``task.image_size`` is given, never above the
preset's; saved with the predictor, and named in the fit summary."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from automm.core import MultiModalPredictor
from automm.core.plugin import Config
from automm.core.vision.input_size import InputSizeChoice
from automm.detect.network import DetectorSpec
from automm.detect.presets import PRESETS
from automm.detect.task import DetectionTask

from .conftest import IMAGE_SIZE, TINY

AUTO = {key: value for key, value in TINY.items() if key != "task.image_size"}


def _built_size(table: pd.DataFrame, overrides: dict, preset: Config = PRESETS["medium_quality"]) -> int:
    """The input side of a detector built as fit builds it: the preset, the user's overrides, then the task."""
    task = DetectionTask.fit(table[["rois"]], "object_detection")
    configured, config = task.configure(preset.override({**AUTO, **overrides}), {**AUTO, **overrides})
    built = configured.build(table[["image"]], {}, config)
    assert built.spec.options.image_size == built.processors.image_size
    return built.processors.image_size


def test_a_fit_without_task_image_size_letterboxes_to_the_training_images(train_json: Path, tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture) -> None:
    predictor = MultiModalPredictor(problem_type="object_detection", path=tmp_path / "p",
                                    hyperparameters={**AUTO, "optim.max_epochs": 1})
    predictor.fit(str(train_json), seed=0)
    choice = InputSizeChoice(size=IMAGE_SIZE, preset=416, covered=IMAGE_SIZE, images=24)
    assert predictor.state.processors.image_size == IMAGE_SIZE and predictor.state.network_spec.input_size == choice
    assert ("faster_rcnn (torchvision), input size 96 px chosen from the training images (90% are ≤ 96 px; "
            "preset 416)") in capsys.readouterr().err
    loaded = MultiModalPredictor.load(tmp_path / "p")
    assert loaded.state.processors.image_size == IMAGE_SIZE and loaded.state.network_spec.input_size == choice


def test_the_users_image_size_wins_even_above_the_preset_and_the_images(train_table: pd.DataFrame) -> None:
    assert _built_size(train_table, {}) == IMAGE_SIZE
    assert _built_size(train_table, {"task.image_size": 128}) == 128
    assert _built_size(train_table, {"task": {"image_size": 512}}) == 512  # above the preset's 416


def test_the_chosen_size_is_never_above_the_presets(train_table: pd.DataFrame) -> None:
    preset = PRESETS["medium_quality"]
    small = dataclasses.replace(preset, task=dataclasses.replace(preset.task, image_size=64))
    assert _built_size(train_table, {}, small) == 64


def test_network_json_without_the_choice_reads_as_before() -> None:
    spec = DetectorSpec.from_json({"backend": "torchvision", "options": {"architecture": "faster_rcnn",
                                                                         "num_classes": 3, "image_size": 64}})
    assert spec.input_size is None and "input_size" not in spec.to_json()
    assert spec.describe() == "detector faster_rcnn (torchvision), input size 64 px"
