"""SAM with point / box prompt columns through the predictor: zero-shot masks before fit, fit, save, ONNX, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from automm.core import MultiModalPredictor
from automm.core.errors import ConfigError, InputError
from automm.segment.testing.tiny_sam import save_tiny_sam

from .conftest import TINY


def _with_prompts(table: pd.DataFrame) -> pd.DataFrame:
    """Each row's foreground bounding box (a JSON string, as a CSV holds it) and one point inside it."""
    boxes, points = [], []
    for path in table["label"]:
        ys, xs = np.nonzero(np.asarray(Image.open(path)) > 0)
        boxes.append(json.dumps([int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]))
        points.append([[int(xs[len(xs) // 2]), int(ys[len(ys) // 2])]])
    return table.assign(box=boxes, points=points)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_sam(tmp_path_factory.mktemp("sam") / "sam_vit_tiny.pth")


def _zero_shot(checkpoint: Path, path: Path, **task: str) -> MultiModalPredictor:
    settings = {"model.sam.checkpoint_name": str(checkpoint), "task.image_size": 64, "env.eval_batch_size": 4,
                **{f"task.{key}": value for key, value in task.items()}}
    return MultiModalPredictor(problem_type="semantic_segmentation", label="label", path=str(path),
                               hyperparameters=settings)


def test_zero_shot_masks_before_fit_save_and_reload(checkpoint: Path, test_table: pd.DataFrame,
                                                    tmp_path: Path) -> None:
    from automm.segment.backends import sam_backend as sb
    from automm.segment.backends.base import SegmenterOptions

    table = _with_prompts(test_table).head(5)
    table.loc[table.index[4], ["box", "points"]] = [None, None]  # a row without prompts still gets a mask
    predictor = _zero_shot(checkpoint, tmp_path / "zero", box_column="box", point_column="points")
    masks = predictor.predict(table.drop(columns="label"))
    assert predictor.state.fit_info.get("zero_shot") and predictor.state.task.keep_pretrained_if_better
    assert all(m.shape == (96, 96) and set(np.unique(m)) <= {0, 1} for m in masks)
    # The masks are the pretrained SAM's own single-mask output for each row's prompts, at the image's size.
    model = sb.build(sb.prepare(SegmenterOptions("custom", 1, 64, checkpoint=str(checkpoint)))).eval()
    batch = predictor.state.processors.collate(table.head(1)[["image", "points", "box"]])
    with torch.no_grad():
        logits = model(batch.images, batch.prompts)
    assert torch.equal(batch.prompts[0, :, 2], torch.tensor([1.0, 2.0, 3.0]))  # a point, then the box corners
    scores = predictor.evaluate(table, metrics=["iou"])  # 0/255 masks read as binary before any fit
    assert 0 <= scores["iou"] <= 1
    written = predictor.predict(table.head(2), save_results=str(tmp_path / "masks"))
    assert set(np.unique(np.asarray(Image.open(written.iloc[0])))) <= {0, 255}
    predictor.save(tmp_path / "saved")
    reloaded = MultiModalPredictor.load(tmp_path / "saved")
    assert reloaded.column_types == {"image": "image_path", "points": "coordinates", "box": "coordinates"}
    for again, mask in zip(reloaded.predict(table), masks):
        np.testing.assert_array_equal(again, mask)
    expected = torch.nn.functional.interpolate(logits[:, :, :64, :64], size=(96, 96), mode="bilinear")
    foreground = predictor.predict_proba(table.head(1)).iloc[0, 1]  # float16 maps
    np.testing.assert_allclose(foreground.astype(np.float32), expected[0, 0].sigmoid().numpy(), atol=1e-3)


def test_fit_with_box_prompts_then_onnx_takes_them(checkpoint: Path, train_table: pd.DataFrame,
                                                   test_table: pd.DataFrame, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    import onnxruntime

    import automm.segment
    from automm.segment.prompts import prompt_counts

    predictor = _zero_shot(checkpoint, tmp_path / "fit", box_column="box")
    predictor.fit(_with_prompts(train_table).head(16), tuning_data=_with_prompts(train_table).tail(8),
                  hyperparameters={"optim.max_epochs": 1, "optim.batch_size": 8})
    assert predictor.state.task.keep_pretrained_if_better  # a prompted pretrained SAM: kept if training scores worse
    table = _with_prompts(test_table).head(3)
    masks = predictor.predict(table)
    assert all(m.shape == (96, 96) for m in masks)
    path = automm.segment.export_onnx(predictor, tmp_path / "prompted.onnx")
    batch = predictor.state.processors.collate(table[["image", "box"]])
    assert prompt_counts(batch.prompts).unique().tolist() == [2]
    session = onnxruntime.InferenceSession(str(path))
    assert [i.name for i in session.get_inputs()] == ["images", "prompts"]
    logits = session.run(None, {"images": batch.images.numpy(), "prompts": batch.prompts.numpy()})[0]
    with torch.inference_mode():
        expected = predictor.state.net.model(batch.images, batch.prompts).numpy()
    np.testing.assert_allclose(logits, expected, atol=1e-4)


def test_prompt_columns_need_sam_and_zero_shot_needs_pretrained_sam(checkpoint: Path, train_table: pd.DataFrame,
                                                             test_table: pd.DataFrame, tmp_path: Path) -> None:
    smp = MultiModalPredictor(problem_type="semantic_segmentation", label="label", path=str(tmp_path / "smp"),
                              hyperparameters={**TINY, "task.box_column": "box"})
    with pytest.raises(ConfigError, match="need Segment Anything"):
        smp.fit(_with_prompts(train_table).head(8))
    unfitted = MultiModalPredictor(problem_type="semantic_segmentation", label="label", path=str(tmp_path / "u"))
    with pytest.raises(ConfigError, match="cannot predict before fit.*task.box_column"):
        unfitted.predict(test_table)
    random_sam = MultiModalPredictor(problem_type="semantic_segmentation", label="label", path=str(tmp_path / "np"),
                                     hyperparameters={"model.sam.checkpoint_name": str(checkpoint),
                                                      "task.image_size": 64, "model.image.pretrained": False})
    with pytest.raises(ConfigError, match="cannot predict before fit"):  # zero-shot needs pretrained weights
        random_sam.predict(test_table)
    with pytest.raises(ConfigError, match="same column"):
        _zero_shot(checkpoint, tmp_path / "same", box_column="p", point_column="p").predict(test_table)


def test_bad_prompt_cells_name_the_row(checkpoint: Path, test_table: pd.DataFrame, tmp_path: Path) -> None:
    predictor = _zero_shot(checkpoint, tmp_path / "bad", box_column="box")
    table = _with_prompts(test_table).head(3)
    with pytest.raises(InputError, match="lacks column"):
        predictor.predict(table.drop(columns="box"))
    two_boxes = table.copy()
    two_boxes.loc[two_boxes.index[1], "box"] = "[[1, 2, 3, 4], [5, 6, 7, 8]]"
    with pytest.raises(InputError, match=r"Row 1, column 'box' holds 2 boxes"):
        predictor.predict(two_boxes)
    fractions = table.copy()
    fractions.loc[fractions.index[2], "box"] = "[10, 10, 200, 50]"
    with pytest.raises(InputError, match=r"Row 2: .*outside the 96x96 px image"):
        predictor.predict(fractions)


def test_zero_shot_without_prompts_is_sams_whole_image_mask(checkpoint: Path, test_table: pd.DataFrame,
                                                            tmp_path: Path) -> None:
    """AutoGluon-MM's zero-shot quick start: num_classes=1, no prompt columns, predict and evaluate before fit."""
    from automm.segment.backends import sam_backend as sb
    from automm.segment.backends.base import SegmenterOptions

    predictor = MultiModalPredictor(problem_type="semantic_segmentation", label="label", path=str(tmp_path / "z"),
                                    hyperparameters={"model.sam.checkpoint_name": str(checkpoint),
                                                     "task.image_size": 64}, num_classes=1)
    masks = predictor.predict({"image": list(test_table["image"][:3])})
    assert predictor.state.fit_info.get("zero_shot") and len(masks) == 3
    model = sb.build(sb.prepare(SegmenterOptions("custom", 1, 64, checkpoint=str(checkpoint)))).eval()
    batch = predictor.state.processors.collate(test_table.head(3)[["image"]])
    with torch.no_grad():
        logits = model(batch.images)  # no sparse prompt: SAM's single mask of the whole image
    assert batch.prompts is None and all(m.shape == (96, 96) and set(np.unique(m)) <= {0, 1} for m in masks)
    with torch.inference_mode():
        np.testing.assert_allclose(logits, predictor.state.net.model(batch.images).numpy(), atol=1e-4)
    scores = predictor.evaluate(test_table, metrics=["iou"])
    assert list(scores) == ["iou"] and 0.0 <= scores["iou"] <= 1.0


def test_num_classes_is_checked_against_the_masks(checkpoint: Path, train_table: pd.DataFrame,
                                                  test_table: pd.DataFrame, tmp_path: Path) -> None:
    settings = {**TINY, "optim.max_epochs": 1}
    with pytest.raises(ConfigError, match="num_classes=3 but the masks"):
        MultiModalPredictor(problem_type="semantic_segmentation", label="label", num_classes=3,
                            hyperparameters=settings, path=str(tmp_path / "a")).fit(train_table.head(8))
    with pytest.raises(ConfigError, match="num_classes=2 before fit"):
        MultiModalPredictor(problem_type="semantic_segmentation", label="label", num_classes=2,
                            path=str(tmp_path / "b"), hyperparameters={"model.sam.checkpoint_name": str(checkpoint),
                                                                        "task.image_size": 64},
                            ).predict(test_table.drop(columns="label"))
    with pytest.raises(ConfigError, match="positive integer"):
        MultiModalPredictor(problem_type="semantic_segmentation", label="label", num_classes=0,
                            hyperparameters=settings, path=str(tmp_path / "c")).fit(train_table.head(8))
