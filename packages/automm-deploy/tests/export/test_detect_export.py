"""An object detector (automm-detect's default Faster R-CNN, tiny) exported and run torch-free gives the torch
predictor's boxes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("automm.detect")

from automm.core import MultiModalPredictor  # noqa: E402
from automm.deploy import export, load  # noqa: E402
from automm.deploy.errors import InputError  # noqa: E402
from automm.deploy.http_api import PredictRequest, RowService  # noqa: E402
from automm.deploy.testing import request_rows  # noqa: E402
from automm.detect.testing.composite import coco_to_dataframe, make_composited_detection  # noqa: E402

from .conftest import artefact_case  # noqa: E402

# timm's tiny test EfficientNet behind Faster R-CNN at a 64-pixel input; every detection kept (min_score 0), so
# there are boxes to compare although two epochs teach the model little.
TINY = {"task.backbone": "test_efficientnet", "model.image.pretrained": False, "task.image_size": 64,
        "task.min_score": 0.0, "optim.max_epochs": 2, "optim.batch_size": 8, "optim.lr": 1e-3,
        "env.eval_batch_size": 16}


@pytest.fixture(scope="module")
def detector(tmp_path_factory: pytest.TempPathFactory) -> tuple[MultiModalPredictor, pd.DataFrame]:
    """Fitted on 16 composited images (real digit glyphs on real photos); 6 test images of two sizes."""
    folder = tmp_path_factory.mktemp("coco")
    options = {"object_size": (16, 32), "max_objects": 3, "classes": [0, 1, 7], "background": "all"}
    make_composited_detection(folder, 16, split_name="train", seed=0, image_size=(96, 96), **options)
    make_composited_detection(folder, 3, split_name="test", seed=1, image_size=(80, 120), **options)
    make_composited_detection(folder, 3, split_name="tall", seed=2, image_size=(130, 70), **options)
    predictor = MultiModalPredictor(problem_type="object_detection", hyperparameters=TINY,
                                    path=tmp_path_factory.mktemp("detector") / "p")
    predictor.fit(str(folder / "train.json"), seed=0)
    rows = pd.concat([coco_to_dataframe(folder / f"{name}.json") for name in ("test", "tall")])
    return predictor, rows.reset_index(drop=True)[["image"]]


def test_boxes_equal_the_torch_predictor(detector: tuple, tmp_path: Path) -> None:
    predictor, rows = detector
    model = load(export(predictor, tmp_path / "detector"))
    found, expected = model.predict(rows), predictor.predict(rows)
    assert list(found.columns) == list(expected.columns) == ["image", "bboxes"]
    assert found["image"].tolist() == expected["image"].tolist()
    assert sum(len(b) for b in expected["bboxes"]) > 0
    for mine, theirs in zip(found["bboxes"], expected["bboxes"]):
        assert [b["class"] for b in mine] == [b["class"] for b in theirs]
        np.testing.assert_allclose([b["score"] for b in mine], [b["score"] for b in theirs], atol=1e-4)
        np.testing.assert_allclose(np.asarray([b["bbox"] for b in mine]).reshape(-1, 4),
                                   np.asarray([b["bbox"] for b in theirs]).reshape(-1, 4), atol=0.02)
    with pytest.raises(InputError, match="no class probabilities"):
        model.predict_proba(rows)


def test_a_server_answers_each_rows_boxes(detector: tuple, tmp_path: Path) -> None:
    """Two requests answered together: each row's boxes, scores and classes exactly the runtime's, as JSON."""
    predictor, rows = detector
    folder = export(predictor, tmp_path / "detector")
    service = RowService(folder)
    requests = [request_rows(rows.head(2)), request_rows(rows.tail(4))]
    answers = [json.loads(service.encode(answer).body)
               for answer in service.answer_all([service.decode(PredictRequest(rows=r)) for r in requests])]
    assert [set(answer) for answer in answers] == [{"predictions"}] * 2
    expected = load(folder).predict(rows)["bboxes"].tolist()
    assert sum(len(boxes) for boxes in expected) > 0
    assert answers[0]["predictions"] + answers[1]["predictions"] == expected


def test_write_artefacts_for_the_runtime_only_session(detector: tuple, tmp_path: Path) -> None:
    """The export, its rows and the torch predictor's boxes, for nox's runtime-only environment."""
    predictor, rows = detector
    case = artefact_case("detector", export(predictor, tmp_path / "detector"), rows)
    (case / "boxes.json").write_text(json.dumps(predictor.predict(rows)["bboxes"].tolist()))
