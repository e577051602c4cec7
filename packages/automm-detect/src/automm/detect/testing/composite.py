"""Composited detection data on disk: COCO JSON, Pascal VOC and ``image`` + ``rois`` tables.

The images and exact masks come from core's :mod:`automm.core.testing.composite`; this module writes them
as detection splits.
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from automm.core.testing.composite import class_names, iter_composited

if TYPE_CHECKING:
    import pandas as pd


def make_composited_detection(
    folder: str | Path,
    num_images: int,
    objects: str = "digits",
    *,
    split_name: str = "train",
    image_format: str = "jpg",
    **options: Any,
) -> Path:
    """Write a composited detection split: ``folder/images/<split>_NNNNN.<fmt>`` and COCO ``folder/<split>.json``.

    ``options`` are those of :func:`iter_composited` (image and object sizes, counts, classes, background, seed).

    Example:
        >>> json_path = make_composited_detection(tmp_path, 20, "fashion_mnist", split_name="val", seed=1)
    """
    folder = Path(folder)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    names = class_names(objects, options.get("classes"))
    samples = iter_composited(num_images, objects, **options)
    images, annotations = [], []
    for image_id, sample in enumerate(samples, start=1):
        file_name = f"images/{split_name}_{image_id:05d}.{image_format}"
        Image.fromarray(sample.image).save(folder / file_name, **({"quality": 95} if image_format == "jpg" else {}))
        height, width = sample.image.shape[:2]
        images.append({"id": image_id, "file_name": file_name, "width": width, "height": height})
        for (x1, y1, x2, y2), label in zip(sample.boxes.tolist(), sample.labels):
            annotations.append({
                "id": len(annotations) + 1, "image_id": image_id, "category_id": label + 1,
                "bbox": [x1, y1, x2 - x1, y2 - y1], "area": (x2 - x1) * (y2 - y1), "iscrowd": 0,
            })  # fmt: skip
    categories = [{"id": i + 1, "name": name} for i, name in enumerate(names)]
    json_path = folder / f"{split_name}.json"
    json_path.write_text(json.dumps({"images": images, "annotations": annotations, "categories": categories}))
    return json_path


def make_autogluon_layout(folder: str | Path, num_train: int, num_test: int, objects: str = "digits",
                          name: str = "tiny_motorbike", **options: Any) -> Path:
    """Composited splits laid out as AutoGluon-MM's detection tutorial data (``tiny_motorbike_coco.zip``).

    Writes ``folder/<name>/JPEGImages/*.jpg`` and ``folder/<name>/Annotations/trainval_cocoformat.json`` and
    ``test_cocoformat.json``, whose ``file_name``s (``"JPEGImages/x.jpg"``) are relative to the JSON's parent
    folder; returns ``folder/<name>``. ``options`` are those of :func:`iter_composited`.

    Example:
        >>> root = make_autogluon_layout(tmp_path, 40, 32, seed=0)
        >>> train_path = root / "Annotations" / "trainval_cocoformat.json"
    """
    root = Path(folder) / name
    (root / "Annotations").mkdir(parents=True, exist_ok=True)
    seed = options.pop("seed", 0)
    for split, count, split_seed in (("trainval", num_train, seed), ("test", num_test, seed + 1)):
        staged = make_composited_detection(root, count, objects, split_name=split, seed=split_seed, **options)
        coco = json.loads(staged.read_text())
        for image in coco["images"]:
            image["file_name"] = image["file_name"].replace("images/", "JPEGImages/", 1)
        (root / "Annotations" / f"{split}_cocoformat.json").write_text(json.dumps(coco))
        staged.unlink()
    (root / "JPEGImages").mkdir(exist_ok=True)
    for image in (root / "images").iterdir():
        image.rename(root / "JPEGImages" / image.name)
    (root / "images").rmdir()
    return root


def coco_to_voc(json_path: str | Path, voc_folder: str | Path) -> Path:
    """Write a COCO split as Pascal VOC: ``JPEGImages/``, ``Annotations/*.xml``, ``ImageSets/Main/<split>.txt``.

    Boxes follow VOC's 1-based inclusive pixel convention: ``xmin = x + 1``, ``xmax = x + w``.
    """
    json_path, voc = Path(json_path), Path(voc_folder)
    coco = json.loads(json_path.read_text())
    for sub in ("JPEGImages", "Annotations", "ImageSets/Main"):
        (voc / sub).mkdir(parents=True, exist_ok=True)
    names = {c["id"]: c["name"] for c in coco["categories"]}
    by_image: dict[int, list[dict]] = {img["id"]: [] for img in coco["images"]}
    for ann in coco["annotations"]:
        by_image[ann["image_id"]].append(ann)
    stems = []
    for img in coco["images"]:
        source, stem = json_path.parent / img["file_name"], Path(img["file_name"]).stem
        if source.suffix.lower() in (".jpg", ".jpeg"):
            shutil.copyfile(source, voc / "JPEGImages" / f"{stem}.jpg")
        else:
            Image.open(source).convert("RGB").save(voc / "JPEGImages" / f"{stem}.jpg", quality=95)
        root = ET.Element("annotation")
        ET.SubElement(root, "folder").text = "JPEGImages"
        ET.SubElement(root, "filename").text = f"{stem}.jpg"
        size = ET.SubElement(root, "size")
        for key, value in (("width", img["width"]), ("height", img["height"]), ("depth", 3)):
            ET.SubElement(size, key).text = str(value)
        ET.SubElement(root, "segmented").text = "0"
        for ann in by_image[img["id"]]:
            obj = ET.SubElement(root, "object")
            fields = (("name", names[ann["category_id"]]), ("pose", "Unspecified"), ("truncated", 0), ("difficult", 0))
            for key, value in fields:
                ET.SubElement(obj, key).text = str(value)
            x, y, w, h = (round(v) for v in ann["bbox"])
            bndbox = ET.SubElement(obj, "bndbox")
            for key, value in (("xmin", x + 1), ("ymin", y + 1), ("xmax", x + w), ("ymax", y + h)):
                ET.SubElement(bndbox, key).text = str(value)
        ET.indent(root)
        ET.ElementTree(root).write(voc / "Annotations" / f"{stem}.xml", encoding="utf-8")
        stems.append(stem)
    (voc / "ImageSets" / "Main" / f"{json_path.stem}.txt").write_text("".join(f"{s}\n" for s in stems))
    return voc


def coco_to_dataframe(json_path: str | Path) -> pd.DataFrame:
    """One row per image: ``image`` (absolute path) and ``rois`` (``[x1, y1, x2, y2, class_name]`` per box)."""
    import pandas as pd

    json_path = Path(json_path)
    coco = json.loads(json_path.read_text())
    names = {c["id"]: c["name"] for c in coco["categories"]}
    rois: dict[int, list[list]] = {img["id"]: [] for img in coco["images"]}
    for ann in coco["annotations"]:
        x, y, w, h = (float(v) for v in ann["bbox"])
        rois[ann["image_id"]].append([x, y, x + w, y + h, names[ann["category_id"]]])
    paths = [str((json_path.parent / img["file_name"]).resolve()) for img in coco["images"]]
    return pd.DataFrame({"image": paths, "rois": [rois[img["id"]] for img in coco["images"]]})
