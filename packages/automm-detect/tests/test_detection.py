"""Object detection end to end: COCO in, COCO mAP and boxes out, every output form, ONNX, zero-shot, the shell."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import automm.detect
from automm.core import MultiModalPredictor
from automm.core.errors import ConfigError
from automm.detect.metrics import MAP_METRICS, score_detections
from automm.detect.testing.tiny_detectors import COCO_NAMES, make_tiny_detr

from .conftest import TINY


def test_evaluate_gives_the_coco_numbers_with_class_names(fitted, test_json: Path) -> None:
    scores, predictions = fitted.evaluate(str(test_json), return_pred=True)
    assert list(scores)[: len(MAP_METRICS)] == list(MAP_METRICS)
    assert {f"map_{name}" for name in fitted.class_labels} <= set(scores)
    assert all(-1.0 <= v <= 1.0 for v in scores.values())
    assert list(predictions.columns) == ["image", "bboxes"] and len(predictions) == 8
    assert list(fitted.evaluate(str(test_json), metrics=["map_50", "map"])) == ["map_50", "map"]
    with pytest.raises(ConfigError, match='Did you mean "map_50"'):
        fitted.evaluate(str(test_json), metrics=["map50"])


def test_map_equals_pycocotools_on_the_saved_coco_results(fitted, test_json: Path, tmp_path: Path) -> None:
    """The results file, read back by pycocotools' own COCOeval, scores what evaluate() reports."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    results = fitted.predict(str(test_json), as_coco=True, as_pandas=False, save_results=str(tmp_path / "results.json"))
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved == results and results and set(results[0]) == {"image_id", "category_id", "bbox", "score"}
    truth = COCO(str(test_json))
    evaluation = COCOeval(truth, truth.loadRes(str(tmp_path / "results.json")), "bbox")
    evaluation.evaluate()
    evaluation.accumulate()
    evaluation.summarize()
    assert fitted.evaluate(str(test_json))["map"] == pytest.approx(evaluation.stats[0], abs=2e-3)


def test_metric_is_one_for_the_ground_truth_and_lower_for_shifted_boxes() -> None:
    truth = np.empty(2, dtype=object)
    truth[0] = np.array([[10, 10, 50, 60, 0], [60, 60, 90, 95, 1]], np.float32)
    truth[1] = np.array([[5, 5, 30, 30, 1]], np.float32)
    perfect = [{"boxes": t[:, :4], "scores": np.ones(len(t)), "labels": t[:, 4]} for t in truth]
    assert score_detections(perfect, truth, ["a", "b"], ["map"])["map"] == pytest.approx(1.0)
    shifted = [{**d, "boxes": d["boxes"] + 8} for d in perfect]
    assert score_detections(shifted, truth, ["a", "b"], ["map"])["map"] < 0.5


def test_predict_forms_agree(fitted, test_json: Path) -> None:
    table = fitted.predict(str(test_json))
    images = pd.DataFrame({"image": table["image"]})
    assert fitted.predict(images).equals(table)
    assert fitted.predict(list(images["image"])).equals(table)
    xywh = fitted.predict(images, bbox_format="xywh")
    for a, b in zip(table["bboxes"].iloc[0], xywh["bboxes"].iloc[0]):
        x1, y1, x2, y2 = a["bbox"]
        assert b["bbox"] == pytest.approx([x1, y1, x2 - x1, y2 - y1], abs=0.02) and a["class"] == b["class"]
    sizes = [Image.open(p).size for p in table["image"]]
    for boxes, (width, height) in zip(table["bboxes"], sizes):
        assert all(0 <= b["bbox"][0] <= b["bbox"][2] <= width and 0 <= b["bbox"][1] <= b["bbox"][3] <= height
                   for b in boxes)
        assert [b["score"] for b in boxes] == sorted((b["score"] for b in boxes), reverse=True)
        assert {b["class"] for b in boxes} <= set(fitted.class_labels)


def test_refusals_name_the_fix(fitted, test_json: Path) -> None:
    with pytest.raises(ConfigError, match="no class probabilities"):
        fitted.predict_proba(str(test_json))
    with pytest.raises(ConfigError, match='Did you mean "as_coco"'):
        fitted.predict(str(test_json), as_cocco=True)
    with pytest.raises(ConfigError, match="bbox_format"):
        fitted.predict(str(test_json), bbox_format="cxcywh")
    with pytest.raises(ConfigError, match=".json file"):
        fitted.predict(str(test_json), save_results="out.csv")


def test_visualize_draws_on_the_image(fitted, test_json: Path, tmp_path: Path) -> None:
    image = fitted.predict(str(test_json))["image"].iloc[0]
    picture = automm.detect.visualize(fitted, image, tmp_path / "boxes.png", min_score=0.0)
    assert (tmp_path / "boxes.png").is_file() and picture.size == Image.open(image).size
    assert not np.array_equal(np.asarray(picture), np.asarray(Image.open(image).convert("RGB")))


def test_onnx_runtime_gives_the_same_boxes(fitted, test_json: Path, tmp_path: Path) -> None:
    import onnxruntime
    import torch
    from scipy.optimize import linear_sum_assignment

    # A barely trained head scores many boxes alike (padding and plain background give identical features), and
    # a top-k cut or NMS may keep either of two tied boxes: give the copy's class logits random weights, so
    # scores differ, and compare the detections one to one, allowing a few tied ones to differ.
    predictor = copy.deepcopy(fitted)
    torch.manual_seed(0)
    detector = predictor.state.net.model.model  # Faster R-CNN (the default) or a one-stage detector
    classes = (detector.roi_heads.box_predictor.cls_score if hasattr(detector, "roi_heads")
               else detector.head.classification_head.cls_logits)
    torch.nn.init.normal_(classes.weight, std=0.05)
    path = automm.detect.export_onnx(predictor, tmp_path / "detector.onnx")
    session = onnxruntime.InferenceSession(str(path))
    rows = fitted.predict(str(test_json))[["image"]].head(3)
    batch = predictor.state.processors.collate(rows)
    model = predictor.state.net.model.eval()
    for image in batch.images:
        boxes, scores, labels = session.run(None, {"images": image[None].numpy()})
        with torch.inference_mode():
            expected = {k: v.numpy() for k, v in model(image[None])[0].items()}
        assert len(boxes) == len(expected["boxes"]) > 0
        np.testing.assert_allclose(boxes[:5], expected["boxes"][:5], atol=1e-3)  # the best ones, in order
        cost = (np.abs(boxes[:, None] - expected["boxes"][None]).max(-1)
                + np.abs(scores[:, None] - expected["scores"][None])
                + 1e9 * (labels[:, None] != expected["labels"][None]))
        rows, columns = linear_sum_assignment(cost)
        assert (cost[rows, columns] < 1e-3).mean() >= 0.97


def test_medium_preset_cannot_predict_before_fit(test_json: Path) -> None:
    predictor = MultiModalPredictor(problem_type="object_detection", hyperparameters=TINY)
    with pytest.raises(ConfigError, match="cannot predict before fit"):
        predictor.predict(str(test_json))


def test_pretrained_detr_predicts_zero_shot_then_fits_new_classes(tmp_path: Path, train_json: Path,
                                                                 test_json: Path) -> None:
    checkpoint = make_tiny_detr(tmp_path / "tiny_rtdetr")
    settings = {**TINY, "task.backend": "transformers", "task.architecture": str(checkpoint), "task.min_score": 0.0}
    predictor = MultiModalPredictor(problem_type="object_detection", hyperparameters=settings,
                                    path=tmp_path / "detr")
    zero_shot = predictor.predict(str(test_json))
    assert predictor.class_labels == COCO_NAMES and predictor.state.task.keep_pretrained_if_better
    assert {b["class"] for boxes in zero_shot["bboxes"] for b in boxes} <= set(COCO_NAMES)
    predictor.fit(str(train_json), hyperparameters=settings)
    assert predictor.class_labels == ["zero", "one", "seven"]
    reloaded = MultiModalPredictor.load(tmp_path / "detr")
    assert reloaded.predict(str(test_json)).equals(predictor.predict(str(test_json)))


def test_fit_from_the_shell(train_json: Path, tmp_path: Path) -> None:
    overrides = [arg for key, value in TINY.items() for arg in ("--hp", f"{key}={value}")]
    command = [sys.executable, "-m", "automm.core.cli", "fit", str(train_json), "--problem-type", "object_detection",
               "--path", str(tmp_path / "out"), *overrides, "--hp", "optim.max_epochs=1"]
    subprocess.run(command, check=True, capture_output=True, timeout=600)
    predicted = MultiModalPredictor.load(tmp_path / "out").predict(str(train_json))
    assert len(predicted) == len(json.loads(train_json.read_text())["images"])


def test_autogluon_quick_start_with_only_the_import_changed(train_json: Path, test_json: Path,
                                                             tmp_path: Path) -> None:
    predictor = MultiModalPredictor(problem_type="object_detection", sample_data_path=str(train_json),
                                    presets="medium_quality", path=str(tmp_path / "quick_start"))
    predictor.fit(str(train_json), time_limit=300, hyperparameters={**TINY, "optim.max_num_tuning_data": 2})
    assert predictor.fit_summary["validation_rows"] == 2
    assert not predictor.state.task.keep_pretrained_if_better  # a random head is never kept over the fit
    assert predictor.class_labels == ["zero", "one", "seven"]
    assert "map" in predictor.evaluate(str(test_json))
    assert len(predictor.predict(str(test_json))) == 8


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_killed_fit_resumes_and_finishes(train_json: Path, test_json: Path, tmp_path: Path) -> None:
    from automm.core.testing.killed_fit import kill_fit_after_first_checkpoint

    settings = {**TINY, "optim.max_epochs": 4, "optim.batch_size": 4, "optim.checkpoint_every_n_steps": 2,
                "optim.patience": 100}
    path = tmp_path / "detector"
    kill_fit_after_first_checkpoint({"problem_type": "object_detection", "path": str(path),
                                     "hyperparameters": settings}, train_json)

    resumed = MultiModalPredictor.load(path, resume=True)
    resumed.fit(str(train_json))
    assert 0 < resumed.fit_summary["resumed_from_step"] < resumed.fit_summary["steps"]
    assert MultiModalPredictor.load(path).predict(str(test_json)).equals(resumed.predict(str(test_json)))
