"""Fixtures: small composited detection sets (real digit glyphs on real photos) and tiny detector settings."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from automm.detect.testing.composite import coco_to_dataframe, make_composited_detection

IMAGE_SIZE = 96  # composited images are IMAGE_SIZE x IMAGE_SIZE
# timm's tiny test EfficientNet behind the default detector at a 64-pixel input: a fit takes seconds. Every
# detection is kept (min_score 0), so the box paths are exercised although two epochs teach the model little.
TINY = {"task.backbone": "test_efficientnet", "model.image.pretrained": False, "task.image_size": 64,
        "task.min_score": 0.0, "optim.max_epochs": 2, "optim.batch_size": 8, "optim.lr": 1e-3, "optim.top_k": 2,
        "env.eval_batch_size": 16}


@pytest.fixture(scope="session")
def coco_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """train.json (24 images), test.json (8 images) and their images, in one folder."""
    folder = tmp_path_factory.mktemp("coco")
    options = {"image_size": (IMAGE_SIZE, IMAGE_SIZE), "object_size": (16, 32), "max_objects": 3, "classes": [0, 1, 7],
               "background": "all"}
    make_composited_detection(folder, 24, split_name="train", seed=0, empty_fraction=0.1, **options)
    make_composited_detection(folder, 8, split_name="test", seed=1, **options)
    return folder


@pytest.fixture(scope="session")
def train_json(coco_folder: Path) -> Path:
    return coco_folder / "train.json"


@pytest.fixture(scope="session")
def test_json(coco_folder: Path) -> Path:
    return coco_folder / "test.json"


@pytest.fixture(scope="session")
def train_table(train_json: Path) -> pd.DataFrame:
    """The AutoGluon-MM DataFrame form: image + rois ([x1, y1, x2, y2, class_name] per box)."""
    return coco_to_dataframe(train_json)


@pytest.fixture(scope="session")
def fitted(train_json: Path, tmp_path_factory: pytest.TempPathFactory):
    """A tiny default detector (Faster R-CNN) fitted on the COCO file (shared by the behaviour tests; read-only)."""
    from automm.core import MultiModalPredictor

    predictor = MultiModalPredictor(problem_type="object_detection", hyperparameters=TINY,
                                    path=tmp_path_factory.mktemp("fitted") / "detector")
    return predictor.fit(str(train_json), seed=0)
