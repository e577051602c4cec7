"""AutoGluon-MM's detection spellings: its COCO layout, save_results, constructor arguments, model keys, helpers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from automm.core import MultiModalPredictor
from automm.core.errors import ConfigError, InputError
from automm.detect import ObjectDetectionVisualizer, from_coco, object_detection_df_to_coco, visualize_detection
from automm.detect.checkpoint_names import resolve_checkpoint_name
from automm.detect.config import DetectConfig
from automm.detect.testing.composite import make_autogluon_layout
from automm.detect.training import freeze_layers

from .conftest import IMAGE_SIZE, TINY


@pytest.fixture(scope="module")
def motorbike(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """AutoGluon-MM's tutorial layout: Annotations/*_cocoformat.json naming JPEGImages/x.jpg."""
    return make_autogluon_layout(tmp_path_factory.mktemp("ag"), 16, 6, image_size=(IMAGE_SIZE, IMAGE_SIZE),
                                 object_size=(16, 32), max_objects=3, classes=[0, 1, 7], background="all")


@pytest.fixture(scope="module")
def ag_fitted(motorbike: Path, tmp_path_factory: pytest.TempPathFactory) -> MultiModalPredictor:
    predictor = MultiModalPredictor(problem_type="object_detection", path=str(tmp_path_factory.mktemp("agfit") / "m"),
                                    sample_data_path=str(motorbike / "Annotations" / "trainval_cocoformat.json"))
    return predictor.fit(str(motorbike / "Annotations" / "trainval_cocoformat.json"),
                         hyperparameters={**TINY, "optim.max_epochs": 1})


def test_file_names_resolve_against_the_json_parent_then_its_folder(ag_fitted, motorbike: Path,
                                                                    tmp_path: Path) -> None:
    table = from_coco(motorbike / "Annotations" / "test_cocoformat.json")
    assert all(Path(p).parent == (motorbike / "JPEGImages").resolve() for p in table["image"])
    assert table["label"].equals(table["rois"]) and table["image"].is_monotonic_increasing
    moved = tmp_path / "moved"
    shutil.copytree(motorbike, moved)
    (moved / "Annotations" / "x.json").write_text((moved / "Annotations" / "test_cocoformat.json").read_text())
    shutil.rmtree(moved / "JPEGImages")
    with pytest.raises(InputError, match=r"is neither '.*moved/JPEGImages/.*' nor '.*Annotations/JPEGImages/"):
        ag_fitted.predict(str(moved / "Annotations" / "x.json"))


def test_coco_root_hyperparameter_points_at_the_images(motorbike: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "labels"
    elsewhere.mkdir()
    shutil.copy(motorbike / "Annotations" / "trainval_cocoformat.json", elsewhere / "train.json")
    predictor = MultiModalPredictor(problem_type="object_detection", path=str(tmp_path / "p"),
                                    hyperparameters={**TINY, "optim.max_epochs": 1,
                                                     "model.mmdet_image.coco_root": str(motorbike)})
    predictor.fit(str(elsewhere / "train.json"))
    assert predictor.state.config.task.coco_root == str(motorbike)
    assert len(predictor.predict(str(elsewhere / "train.json"))) == 16


def test_save_results_true_writes_under_the_predictor_path(ag_fitted, motorbike: Path, tmp_path: Path) -> None:
    test_path = str(motorbike / "Annotations" / "test_cocoformat.json")
    table = ag_fitted.predict(test_path, save_results=True, as_coco=True)
    assert isinstance(table, pd.DataFrame) and list(table.columns) == ["image", "bboxes"]
    coco = json.loads((ag_fitted.path / "result.json").read_text())
    assert coco == ag_fitted.predict(test_path, as_coco=True, as_pandas=False)
    assert {r["category_id"] for r in coco} <= {1, 2, 3} and set(coco[0]) == {"image_id", "category_id", "bbox",
                                                                               "score"}
    ag_fitted.predict(test_path, save_results=True, as_coco=False)
    csv = pd.read_csv(ag_fitted.path / "result.txt")
    assert list(csv.columns) == ["image", "bboxes"] and csv["image"].tolist() == table["image"].tolist()
    custom = ag_fitted.predict(test_path, save_results=True, as_coco=True, result_save_path=str(tmp_path / "r.json"))
    assert json.loads((tmp_path / "r.json").read_text()) == coco and custom.equals(table)
    assert ag_fitted.predict(test_path, save_results=True).equals(table)  # AutoGluon's default: as_coco=True
    records = ag_fitted.predict(test_path, as_pandas=False)
    assert records == table.to_dict(orient="records")


def test_sample_data_path_as_a_dataframe_and_classes_arguments(motorbike: Path, tmp_path: Path) -> None:
    train = from_coco(motorbike / "Annotations" / "trainval_cocoformat.json")
    settings = {**TINY, "optim.max_epochs": 1}
    predictor = MultiModalPredictor(problem_type="object_detection", sample_data_path=train, path=str(tmp_path / "a"),
                                    hyperparameters=settings, num_classes=3)
    predictor.fit(train)
    first_seen = list(dict.fromkeys(b[4] for boxes in train["rois"] for b in boxes))
    assert predictor.class_labels == first_seen
    ordered = MultiModalPredictor(problem_type="object_detection", classes=["seven", "one", "zero"],
                                  path=str(tmp_path / "b"), hyperparameters=settings).fit(train)
    assert ordered.class_labels == ["seven", "one", "zero"]
    with pytest.raises(ConfigError, match="num_classes=5 but there are 3 classes"):
        MultiModalPredictor(problem_type="object_detection", num_classes=5, path=str(tmp_path / "c"),
                            hyperparameters=settings).fit(train)
    with pytest.raises(InputError, match=r"class\(es\) \['zero'\] outside the class list"):
        MultiModalPredictor(problem_type="object_detection", classes=["one", "seven"], path=str(tmp_path / "d"),
                            hyperparameters=settings).fit(train)


def test_mmdet_image_keys_map_onto_task_settings(ag_fitted, motorbike: Path) -> None:
    assert resolve_checkpoint_name("yolox_s") == ("mmdet", "yolox_s_8xb8-300e_coco")
    assert resolve_checkpoint_name("dino-4scale_r50_8xb2-12e_coco") == ("mmdet", "dino-4scale_r50_8xb2-12e_coco")
    assert resolve_checkpoint_name("retinanet") == ("torchvision", "retinanet")
    with pytest.raises(ConfigError, match="Objects365"):
        resolve_checkpoint_name("yolox_l_objects365")
    config = ag_fitted.state.config.override({"model.mmdet_image.checkpoint_name": "yolox_l",
                                              "model.mmdet_image.output_bbox_format": "xywh",
                                              "model.mmdet_image.frozen_layers": ["backbone"]})
    task = config.task
    assert (task.backend, task.architecture, task.checkpoint_name) == ("mmdet", "yolox_l_8xb8-300e_coco", "")
    assert task.bbox_format == "xywh" and task.frozen_layers == ("backbone",)
    assert DetectConfig(**{**vars(task)}).architecture == "yolox_l_8xb8-300e_coco"  # a saved config reloads as is
    with pytest.raises(ConfigError, match="output_bbox_format"):
        ag_fitted.state.config.override({"model.mmdet_image.output_bbox_format": "cxcywh"})


def test_output_bbox_format_is_predicts_default(motorbike: Path, tmp_path: Path) -> None:
    train = str(motorbike / "Annotations" / "trainval_cocoformat.json")
    predictor = MultiModalPredictor(problem_type="object_detection", path=str(tmp_path / "xywh"),
                                    hyperparameters={**TINY, "optim.max_epochs": 1,
                                                     "model.mmdet_image.output_bbox_format": "xywh"}).fit(train)
    assert predictor.predict(train).equals(predictor.predict(train, bbox_format="xywh"))
    assert MultiModalPredictor.load(tmp_path / "xywh").state.task.bbox_format == "xywh"


def test_frozen_layers_keep_their_weights(ag_fitted) -> None:
    net = ag_fitted.state.net
    freeze_layers(net, ["backbone"])  # AutoGluon-MM names a module of the detector
    frozen = [p.requires_grad for n, p in net.named_parameters() if ".backbone." in n]
    assert frozen and not any(frozen)
    assert any(p.requires_grad for n, p in net.named_parameters() if ".backbone." not in n)
    for parameter in net.parameters():
        parameter.requires_grad_(True)
    with pytest.raises(ConfigError, match="names no parameter"):
        freeze_layers(net, ["no_such_module"])


def test_autogluon_helpers(ag_fitted, motorbike: Path, tmp_path: Path) -> None:
    pred = ag_fitted.predict(str(motorbike / "Annotations" / "test_cocoformat.json"))
    row = pred.iloc[0]
    picture = ObjectDetectionVisualizer(row.image).draw_instance_predictions(row, conf_threshold=0.0).get_image()
    original = np.asarray(Image.open(row.image).convert("RGB"))
    assert picture.dtype == np.uint8 and picture.shape == original.shape and not np.array_equal(picture, original)
    drawn = visualize_detection(pred, ag_fitted.class_labels, 0.0, str(tmp_path / "vis"))
    assert len(drawn) == len(pred) and (tmp_path / "vis" / Path(row.image).name).is_file()
    table = from_coco(str(motorbike / "Annotations" / "test_cocoformat.json"))
    coco = object_detection_df_to_coco(table, save_path=str(tmp_path / "again.json"))
    again = from_coco(str(tmp_path / "again.json"))
    assert again["image"].tolist() == table["image"].tolist() and again["rois"].tolist() == table["rois"].tolist()
    assert {c["name"] for c in coco["categories"]} <= {"zero", "one", "seven"}
    assert torch.is_tensor(torch.as_tensor(picture))
