"""Fixtures: small composited segmentation sets (real digit glyphs on real photos) and tiny segmenter settings."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from automm.segment.ingest import read_segmentation_data
from automm.segment.testing.composite import make_composited_segmentation

IMAGE_SIZE = 96  # composited images are IMAGE_SIZE x IMAGE_SIZE
# timm's tiny test EfficientNet under smp's FPN at a 64-pixel input: a fit takes seconds.
TINY = {"task.encoder": "test_efficientnet", "model.image.pretrained": False, "task.image_size": 64,
        "optim.max_epochs": 2, "optim.batch_size": 8, "optim.lr": 1e-3, "optim.top_k": 2, "env.eval_batch_size": 16}
OPTIONS = {"image_size": (IMAGE_SIZE, IMAGE_SIZE), "object_size": (24, 48), "max_objects": 3, "background": "all"}


@pytest.fixture(scope="session")
def binary_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """train.csv (24 images) and test.csv (8 images) with 0/255 masks, paths relative to the folder."""
    folder = tmp_path_factory.mktemp("binary")
    make_composited_segmentation(folder, 24, split_name="train", seed=0, **OPTIONS)
    make_composited_segmentation(folder, 8, split_name="test", seed=1, **OPTIONS)
    return folder


@pytest.fixture(scope="session")
def multiclass_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """train.csv / test.csv with class-index masks: 0 background, 1..3 for digits 0, 1, 7."""
    folder = tmp_path_factory.mktemp("multiclass")
    options = {**OPTIONS, "classes": [0, 1, 7], "min_objects": 2}
    make_composited_segmentation(folder, 24, split_name="train", seed=0, binary=False, **options)
    make_composited_segmentation(folder, 8, split_name="test", seed=1, binary=False, **options)
    return folder


@pytest.fixture(scope="session")
def train_table(binary_folder: Path) -> pd.DataFrame:
    return read_segmentation_data(binary_folder / "train.csv", "train_data")


@pytest.fixture(scope="session")
def test_table(binary_folder: Path) -> pd.DataFrame:
    return read_segmentation_data(binary_folder / "test.csv", "test_data")


@pytest.fixture(scope="session")
def fitted(binary_folder: Path, tmp_path_factory: pytest.TempPathFactory):
    """A tiny FPN fitted on the binary CSV (shared by the behaviour tests; they must not change it)."""
    from automm.core import MultiModalPredictor

    predictor = MultiModalPredictor(problem_type="semantic_segmentation", label="label", hyperparameters=TINY,
                                    path=tmp_path_factory.mktemp("fitted") / "segmenter")
    return predictor.fit(str(binary_folder / "train.csv"), seed=0)
