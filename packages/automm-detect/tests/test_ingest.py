"""COCO, VOC and DataFrame input, and every kind of bad annotation: refused naming what and where, or handled."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from automm.core.data.letterbox import read_pixels
from automm.core.errors import InputError
from automm.detect.ingest import read_detection_data
from automm.detect.processor import DetectionProcessor
from automm.detect.task import DetectionTask
from automm.detect.testing.composite import coco_to_voc


def _coco(path: Path) -> dict:
    return json.loads(path.read_text())


def _write(folder: Path, coco: dict, name: str = "edited.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(coco))
    return path


@pytest.fixture
def edited(coco_folder: Path, tmp_path: Path) -> tuple[Path, dict]:
    """A copy of the composited set whose JSON a test may edit (images shared by absolute path)."""
    coco = _coco(coco_folder / "train.json")
    for image in coco["images"]:
        image["file_name"] = str(coco_folder / image["file_name"])
    return tmp_path, coco


def test_coco_becomes_image_and_rois_with_category_ids(train_json: Path) -> None:
    coco = _coco(train_json)
    frame = read_detection_data(str(train_json), "train_data")
    assert list(frame.columns) == ["image", "rois"] and len(frame) == len(coco["images"])
    assert all(Path(p).is_absolute() and Path(p).is_file() for p in frame["image"])
    assert sum(len(r) for r in frame["rois"]) == len(coco["annotations"])
    first = coco["annotations"][0]
    x, y, w, h = first["bbox"]
    names = {c["id"]: c["name"] for c in coco["categories"]}
    row = [i for i, image in enumerate(coco["images"]) if image["id"] == first["image_id"]][0]
    assert frame["rois"][row][0] == [x, y, x + w, y + h, names[first["category_id"]]]
    assert frame.attrs["categories"] == [[c["id"], c["name"]] for c in coco["categories"]]


def test_voc_folder_and_split_file_read_the_same_boxes(train_json: Path, tmp_path: Path) -> None:
    voc = coco_to_voc(train_json, tmp_path / "voc")
    coco = read_detection_data(train_json, "train_data")
    for source in (voc, voc / "ImageSets" / "Main" / "train.txt"):
        frame = read_detection_data(source, "train_data")
        assert len(frame) == len(coco)
        assert sorted(len(r) for r in frame["rois"]) == sorted(len(r) for r in coco["rois"])
        assert {b[4] for r in frame["rois"] for b in r} == {b[4] for r in coco["rois"] for b in r}


def test_voc_without_size_reads_it_from_the_image(train_json: Path, tmp_path: Path, caplog) -> None:
    voc = coco_to_voc(train_json, tmp_path / "voc")
    xml = sorted((voc / "Annotations").glob("*.xml"))[0]
    text = xml.read_text()
    start, end = text.index("<size>"), text.index("</size>") + len("</size>")
    xml.write_text(text[:start] + text[end:])
    with caplog.at_level(logging.WARNING, logger="automm"):
        frame = read_detection_data(voc, "train_data")
    assert "has no <size>" in caplog.text and len(frame) > 0


def test_dataframe_rois_from_csv_text_and_label_alias(train_table: pd.DataFrame, tmp_path: Path) -> None:
    csv = tmp_path / "train.csv"
    train_table.assign(rois=train_table["rois"].map(json.dumps)).to_csv(csv, index=False)
    frame = read_detection_data(str(csv), "train_data")
    assert frame["rois"].tolist() == train_table["rois"].tolist()
    renamed = read_detection_data(train_table.rename(columns={"rois": "label"}), "train_data")
    assert "rois" in renamed.columns


def test_list_of_paths_is_a_table_of_images(train_table: pd.DataFrame) -> None:
    frame = read_detection_data(list(train_table["image"][:3]), "data")
    assert frame["image"].tolist() == list(train_table["image"][:3])


@pytest.mark.parametrize(("edit", "message"), [
    (lambda c: c.update(images=c["images"] + [dict(c["images"][0])]), "lists image id"),
    (lambda c: c["annotations"][0].update(category_id=999), "category_id 999"),
    (lambda c: c["annotations"][0].update(image_id=12345), "image_id 12345"),
    (lambda c: c["annotations"][0].update(bbox=[1, 2, 3]), r"\[x, y, width, height\]"),
    (lambda c: c.pop("images"), "not a COCO detection file"),
])
def test_bad_coco_is_refused_naming_the_problem(edited, edit, message: str) -> None:
    folder, coco = edited
    edit(coco)
    with pytest.raises(InputError, match=message):
        read_detection_data(_write(folder, coco), "train_data")


def test_not_json_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        read_detection_data(tmp_path / "broken.json", "train_data")
    with pytest.raises(InputError, match="does not exist"):
        read_detection_data(tmp_path / "absent.json", "train_data")


def test_box_outside_the_image_is_clipped_with_a_warning(edited, caplog) -> None:
    folder, coco = edited
    image = next(i for i in coco["images"] if any(a["image_id"] == i["id"] for a in coco["annotations"]))
    ann = next(a for a in coco["annotations"] if a["image_id"] == image["id"])
    ann["bbox"] = [image["width"] - 10, 5, 50, 20]
    with caplog.at_level(logging.WARNING, logger="automm"):
        frame = read_detection_data(_write(folder, coco), "train_data")
    assert "outside" in caplog.text and f"id={ann['id']}" in caplog.text
    assert max(b[2] for r in frame["rois"] for b in r) <= image["width"]


def test_degenerate_boxes_are_ignored_with_a_warning(train_table: pd.DataFrame, caplog) -> None:
    task = DetectionTask.fit(train_table[["rois"]], "object_detection")
    labels = pd.DataFrame({"rois": [[[10, 10, 10, 30, task.classes[0]], [5, 5, 25, 25, task.classes[0]]]]})
    with caplog.at_level(logging.WARNING, logger="automm"):
        encoded = task.encode(labels)
    assert "zero or negative width" in caplog.text and encoded[0].shape == (1, 5)


def test_empty_annotations_train_error_and_unknown_test_class(train_table: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="no boxes"):
        DetectionTask.fit(pd.DataFrame({"rois": [[], []]}), "object_detection")
    task = DetectionTask.fit(train_table[["rois"]], "object_detection")
    with pytest.raises(InputError, match="class 'zebra'.*not a class in training"):
        task.encode(pd.DataFrame({"rois": [[[1, 1, 5, 5, "zebra"]]]}, index=["img7"]))


def test_bad_rois_cells_name_the_row() -> None:
    with pytest.raises(InputError, match="row 1"):
        read_detection_data(pd.DataFrame({"image": ["a.jpg", "b.jpg"], "rois": [[], "not json"]}), "train_data")
    with pytest.raises(InputError, match=r"row 0 must be a list of \[x1"):
        read_detection_data(pd.DataFrame({"image": ["a.jpg"], "rois": [[[1, 2, 3]]]}), "train_data")


def test_missing_and_unreadable_images_name_the_file(train_table: pd.DataFrame, tmp_path: Path) -> None:
    task = DetectionTask.fit(train_table[["rois"]], "object_detection")
    with pytest.raises(InputError, match="missing.jpg.*does not exist"):
        task.check_inputs(pd.DataFrame({"image": [str(tmp_path / "missing.jpg")]}), "data")
    (tmp_path / "bad.jpg").write_bytes(b"not an image")
    with pytest.raises(InputError, match="bad.jpg.*cannot be read"):
        read_pixels(tmp_path / "bad.jpg", 3)


def test_grey_rgba_and_exif_rotated_images(tmp_path: Path, train_table: pd.DataFrame) -> None:
    Image.fromarray(np.full((40, 60), 128, np.uint8), mode="L").save(tmp_path / "grey.png")
    Image.fromarray(np.zeros((40, 60, 4), np.uint8), mode="RGBA").save(tmp_path / "clear.png")
    rotated = Image.fromarray(np.zeros((40, 60, 3), np.uint8))
    exif = rotated.getexif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    rotated.save(tmp_path / "rotated.jpg", exif=exif)
    assert read_pixels(tmp_path / "grey.png").shape == (3, 40, 60)
    assert read_pixels(tmp_path / "clear.png").min() == 1.0  # transparent over white
    assert read_pixels(tmp_path / "rotated.jpg").shape == (3, 60, 40)


def test_letterbox_maps_boxes_and_keeps_the_scale(coco_folder: Path) -> None:
    frame = read_detection_data(coco_folder / "test.json", "data")
    task = DetectionTask.fit(frame[["rois"]], "object_detection")
    processor = DetectionProcessor("image", 64)
    targets = task.encode(frame[["rois"]])
    batch = processor.collate(frame[["image"]], targets)
    size = Image.open(frame["image"][0]).size
    assert batch.images.shape == (len(frame), 3, 64, 64)
    assert float(batch.scales[0]) == pytest.approx(64 / max(size))
    np.testing.assert_allclose(batch.train_targets[0]["boxes"].numpy(), targets[0][:, :4] * 64 / max(size),
                               atol=1e-4)
    train = processor.collate(frame[["image"]], targets, train=True)
    assert all(t["boxes"].numel() == 0 or float(t["boxes"].max()) <= 64 for t in train.train_targets)


def test_copied_folder_keeps_relative_paths_working(coco_folder: Path, tmp_path: Path) -> None:
    shutil.copytree(coco_folder, tmp_path / "moved")
    frame = read_detection_data(tmp_path / "moved" / "test.json", "data")
    assert all(str(tmp_path / "moved") in p for p in frame["image"])


def test_table_without_the_image_column_names_it(train_table: pd.DataFrame) -> None:
    from automm.core import MultiModalPredictor

    with pytest.raises(InputError, match="no column 'image' \\(the object_detection task reads it\\)"):
        MultiModalPredictor(problem_type="object_detection").fit(train_table.drop(columns="image"))
