"""Composited detection data: valid COCO, exact boxes, deterministic, and faithful VOC / DataFrame copies."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from automm.core.testing.composite import DIGIT_NAMES, FASHION_DIR, FASHION_NAMES, class_names, iter_composited
from automm.detect.testing.composite import coco_to_dataframe, coco_to_voc, make_composited_detection


@pytest.fixture(scope="module")
def digits_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_composited_detection(tmp_path_factory.mktemp("digits"), 12, seed=0, background="all")


def _coco(path: Path) -> dict:
    return json.loads(path.read_text())


def test_coco_structure_and_box_bounds(digits_json: Path) -> None:
    coco = _coco(digits_json)
    assert [c["name"] for c in coco["categories"]] == list(DIGIT_NAMES)
    assert [c["id"] for c in coco["categories"]] == list(range(1, 11))
    sizes = {img["id"]: (img["width"], img["height"]) for img in coco["images"]}
    for img in coco["images"]:
        with Image.open(digits_json.parent / img["file_name"]) as im:
            assert im.size == (img["width"], img["height"]) == (160, 160)
    assert len(coco["annotations"]) >= len(coco["images"])  # min_objects=1; placements rarely fail
    assert len({a["id"] for a in coco["annotations"]}) == len(coco["annotations"])
    for ann in coco["annotations"]:
        x, y, w, h = ann["bbox"]
        width, height = sizes[ann["image_id"]]
        assert w > 0 and h > 0 and x >= 0 and y >= 0 and x + w <= width and y + h <= height
        assert ann["area"] == w * h and ann["iscrowd"] == 0 and 1 <= ann["category_id"] <= 10


def test_loads_with_pycocotools(digits_json: Path) -> None:
    coco_module = pytest.importorskip("pycocotools.coco")
    coco = coco_module.COCO(str(digits_json))
    assert len(coco.getImgIds()) == 12 and len(coco.getCatIds()) == 10
    assert len(coco.getAnnIds()) == len(_coco(digits_json)["annotations"])


def test_boxes_are_tight_masks_disjoint_and_pixels_changed() -> None:
    plain = list(iter_composited(6, seed=5, max_objects=0, min_objects=0))
    for sample, empty in zip(iter_composited(6, seed=5, max_objects=4), plain):
        assert len(sample.masks) == len(sample.labels) >= 1 and len(empty.masks) == 0
        assert sample.masks.sum(axis=0).max() == 1  # no pixel belongs to two objects
        for mask, (x1, y1, x2, y2) in zip(sample.masks, sample.boxes):
            inside = mask[y1:y2, x1:x2]
            assert inside.sum() == mask.sum()  # the box holds the whole mask ...
            assert inside[0].any() and inside[-1].any() and inside[:, 0].any() and inside[:, -1].any()  # ... tightly
        changed = np.abs(sample.image.astype(int) - empty.image.astype(int)).sum(axis=-1) > 0
        objects = sample.masks.any(axis=0)
        assert changed[objects].mean() > 0.5 and not changed[~objects].any()  # same background, same seed


def test_json_matches_masks(tmp_path: Path) -> None:
    path = make_composited_detection(tmp_path, 4, seed=2, image_format="png")
    coco = _coco(path)
    expected = [
        ([x1, y1, x2 - x1, y2 - y1], label + 1)
        for sample in iter_composited(4, seed=2)
        for (x1, y1, x2, y2), label in zip(sample.boxes.tolist(), sample.labels)
    ]
    assert [(a["bbox"], a["category_id"]) for a in coco["annotations"]] == expected
    first = next(iter(iter_composited(1, seed=2)))
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / coco["images"][0]["file_name"])), first.image)


def test_deterministic_for_a_seed(tmp_path: Path) -> None:
    a = make_composited_detection(tmp_path / "a", 5, seed=7)
    b = make_composited_detection(tmp_path / "b", 5, seed=7)
    c = make_composited_detection(tmp_path / "c", 5, seed=8)
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()
    for img in _coco(a)["images"]:
        left, right = (np.asarray(Image.open(p.parent / img["file_name"])) for p in (a, b))
        np.testing.assert_array_equal(left, right)


def test_voc_round_trip(digits_json: Path, tmp_path: Path) -> None:
    voc = coco_to_voc(digits_json, tmp_path / "voc")
    coco = _coco(digits_json)
    names = {c["id"]: c["name"] for c in coco["categories"]}
    stems = (voc / "ImageSets" / "Main" / "train.txt").read_text().split()
    assert stems == [Path(img["file_name"]).stem for img in coco["images"]]
    for img in coco["images"]:
        stem = Path(img["file_name"]).stem
        assert (voc / "JPEGImages" / f"{stem}.jpg").is_file()
        root = ET.parse(voc / "Annotations" / f"{stem}.xml").getroot()
        assert root.findtext("filename") == f"{stem}.jpg"
        assert [int(root.findtext(f"size/{k}")) for k in ("width", "height", "depth")] == [160, 160, 3]
        parsed = []
        for obj in root.iter("object"):
            xmin, ymin, xmax, ymax = (int(obj.findtext(f"bndbox/{k}")) for k in ("xmin", "ymin", "xmax", "ymax"))
            parsed.append((obj.findtext("name"), [xmin - 1, ymin - 1, xmax - xmin + 1, ymax - ymin + 1]))
        expected = [(names[a["category_id"]], a["bbox"]) for a in coco["annotations"] if a["image_id"] == img["id"]]
        assert parsed == expected


def test_dataframe(digits_json: Path) -> None:
    frame = coco_to_dataframe(digits_json)
    coco = _coco(digits_json)
    assert list(frame.columns) == ["image", "rois"] and len(frame) == 12
    assert all(Path(p).is_absolute() and Path(p).is_file() for p in frame["image"])
    rois = [roi for rois in frame["rois"] for roi in rois]
    assert len(rois) == len(coco["annotations"])
    first = coco["annotations"][0]
    x, y, w, h = first["bbox"]
    assert rois[0] == [float(x), float(y), float(x + w), float(y + h), DIGIT_NAMES[first["category_id"] - 1]]
    assert {roi[4] for roi in rois} <= set(DIGIT_NAMES)


def test_empty_images_and_class_subset(tmp_path: Path) -> None:
    path = make_composited_detection(tmp_path, 20, seed=1, empty_fraction=0.5, classes=[7, 3], split_name="val")
    coco = _coco(path)
    assert path.name == "val.json" and len(coco["images"]) == 20
    assert [c["name"] for c in coco["categories"]] == ["three", "seven"] == list(class_names("digits", [7, 3]))
    with_boxes = {a["image_id"] for a in coco["annotations"]}
    assert 0 < len(with_boxes) < 20
    frame = coco_to_dataframe(path)
    assert (frame["rois"].map(len) == 0).sum() == 20 - len(with_boxes)


@pytest.mark.skipif(not FASHION_DIR.is_dir(), reason="needs `apt-get install dataset-fashion-mnist`")
def test_fashion_mnist_objects(tmp_path: Path) -> None:
    path = make_composited_detection(tmp_path, 3, "fashion_mnist", classes=[0, 9], seed=0)
    coco = _coco(path)
    assert [c["name"] for c in coco["categories"]] == [FASHION_NAMES[0], FASHION_NAMES[9]] == ["t-shirt", "ankle-boot"]
    assert len(coco["annotations"]) >= 3 and {a["category_id"] for a in coco["annotations"]} <= {1, 2}


def test_fashion_mnist_missing_dir_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        make_composited_detection(tmp_path, 2, "fashion_mnist", fashion_dir=tmp_path / "nowhere")


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="expected 'digits' or 'fashion_mnist'"):
        class_names("cifar")
    with pytest.raises(ValueError, match="subset of 0..9"):
        make_composited_detection(tmp_path, 1, classes=[10])
    with pytest.raises(ValueError, match="loads offline"):
        make_composited_detection(tmp_path, 1, background=["no_such_image"])
