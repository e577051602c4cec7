"""Detection data in: a COCO JSON file, a Pascal VOC folder, or a table of ``image`` + ``rois``.

Every source becomes one table: ``image`` (absolute path) and ``rois`` (one list per image of
``[x1, y1, x2, y2, class_name]`` in pixels), the AutoGluon-MM DataFrame format. COCO category ids are
kept in ``frame.attrs["categories"]`` so results can be written back with the same ids.
"""

from __future__ import annotations

import json
import logging
import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from automm.core.errors import InputError
from automm.core.plugin import read_table

logger = logging.getLogger("automm")
IMAGE_COLUMN, ROIS_COLUMN = "image", "rois"
# frame.attrs keys of a table read from COCO: the JSON's path, and row -> the image's file_name as written
COCO_FILE, COCO_FILE_NAMES = "coco_file", "coco_file_names"


def read_detection_data(data: Any, role: str, coco_root: str | Path | None = None) -> pd.DataFrame:
    """Any supported source as the ``image`` / ``rois`` table (``rois`` absent for plain images).

    ``coco_root`` is the folder COCO ``file_name``s are relative to (see ``read_coco``).
    """
    if isinstance(data, (str, Path)):
        path = Path(data)
        if path.suffix.lower() == ".json":
            return read_coco(path, role, coco_root)
        if path.is_dir() and (path / "Annotations").is_dir() or path.suffix.lower() == ".txt":
            return read_voc(path, role)
    elif isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        return pd.DataFrame({IMAGE_COLUMN: [str(p) for p in data]})  # a list of image paths
    frame = read_table(data, role)
    if ROIS_COLUMN not in frame.columns and "label" in frame.columns:  # AutoGluon tables repeat rois as "label"
        frame = frame.rename(columns={"label": ROIS_COLUMN})
    if ROIS_COLUMN in frame.columns:
        frame = frame.assign(**{ROIS_COLUMN: [parse_rois(cell, role, row) for row, cell in frame[ROIS_COLUMN].items()]})
    return frame


def parse_rois(cell: Any, role: str, row: Any) -> list[list[Any]] | None:
    """One ``rois`` cell (a list, or its JSON text from a CSV) as a list of ``[x1, y1, x2, y2, class]``."""
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return None
    if isinstance(cell, str):
        try:
            cell = json.loads(cell)
        except json.JSONDecodeError as err:
            raise InputError(f"{role}: rois at row {row!r} is text that is not a JSON list ({err}); give a list "
                             "of [x1, y1, x2, y2, class_name] per image.") from None
    if not isinstance(cell, (list, tuple)) or not all(isinstance(b, (list, tuple)) and len(b) == 5 for b in cell):
        raise InputError(f"{role}: rois at row {row!r} must be a list of [x1, y1, x2, y2, class_name] boxes, got "
                         f"{str(cell)[:80]!r}.")
    return [list(box) for box in cell]


def read_coco(path: Path, role: str, coco_root: str | Path | None = None) -> pd.DataFrame:
    """A COCO detection JSON as the ``image`` / ``rois`` table.

    Image ``file_name``s are absolute, or relative to ``coco_root`` when given; else to the JSON's parent folder
    (AutoGluon-MM's rule: ``<root>/Annotations/x.json`` names ``JPEGImages/y.jpg``) and, when the image is not
    there, to the JSON's own folder (automm's rule before 0.3). Missing images are reported by
    ``resolve_coco_images`` when the rows are used (a ``coco_root`` hyperparameter may still apply then).

    Raises:
        InputError: The file is not COCO.
    """
    if not path.is_file():
        raise InputError(f"{role}: COCO file {str(path)!r} does not exist.")
    try:
        coco = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"{role}: {str(path)!r} is not valid JSON ({err}).") from None
    if not isinstance(coco, dict) or not isinstance(coco.get("images"), list):
        keys = list(coco)[:10] if isinstance(coco, dict) else type(coco).__name__
        raise InputError(f"{role}: {str(path)!r} is not a COCO detection file: it needs an 'images' list (and "
                         f"'annotations' and 'categories' to train or evaluate); found {keys}.")
    categories = {c["id"]: str(c["name"]) for c in coco.get("categories", []) if "id" in c and "name" in c}
    images: dict[Any, dict[str, Any]] = {}
    for image in coco["images"]:
        if not isinstance(image, dict) or "id" not in image or "file_name" not in image:
            raise InputError(f"{role}: {str(path)!r} has an image entry without 'id' and 'file_name': {image!r}.")
        if image["id"] in images:
            raise InputError(f"{role}: {str(path)!r} lists image id {image['id']!r} twice ({image['file_name']!r} "
                             f"and {images[image['id']]['file_name']!r}); give each image its own id.")
        images[image["id"]] = image
    rois: dict[Any, list[list[Any]]] = {i: [] for i in images}
    for ann in coco.get("annotations", []):
        rois[_image_of(ann, images, path, role)].append(_coco_box(ann, categories, images, path, role))
    roots = coco_roots(path, coco_root)
    frame = pd.DataFrame({
        IMAGE_COLUMN: [coco_image_path(str(images[i]["file_name"]), roots, path, role, check=False) for i in images],
        ROIS_COLUMN: [rois[i] for i in images],
    })
    frame.attrs["categories"] = [[cid, name] for cid, name in categories.items()]
    frame.attrs["image_ids"] = list(images)
    frame.attrs[COCO_FILE] = str(path)
    frame.attrs[COCO_FILE_NAMES] = {row: str(images[i]["file_name"]) for row, i in enumerate(images)}
    if "annotations" not in coco:
        frame = frame.drop(columns=ROIS_COLUMN)
    return frame


def coco_roots(path: Path, coco_root: str | Path | None) -> list[Path]:
    """The folders a COCO file's relative ``file_name``s are looked up in, in order."""
    return [Path(coco_root).expanduser()] if coco_root else [path.parent.parent, path.parent]


def resolve_coco_images(features: pd.DataFrame, coco_root: str | Path | None, role: str) -> None:
    """Point the image paths of rows read from a COCO file at ``coco_root`` (if given), in place; every image must
    exist.

    Raises:
        InputError: An image is in none of the places tried (all of them named).
    """
    names: dict[Any, str] = features.attrs.get(COCO_FILE_NAMES, {})
    if not names or IMAGE_COLUMN not in features.columns:
        return
    path = Path(features.attrs[COCO_FILE])
    roots = coco_roots(path, coco_root)
    resolved = [coco_image_path(names[row], roots, path, role) if row in names else image
                for row, image in features[IMAGE_COLUMN].items()]
    if resolved != features[IMAGE_COLUMN].tolist():
        features[IMAGE_COLUMN] = resolved


def coco_image_path(file_name: str, roots: list[Path], path: Path, role: str, check: bool = True) -> str:
    """The absolute path of ``file_name`` under the first of ``roots`` that holds it.

    Raises:
        InputError: ``check`` and the image is under none of them (naming every place tried).
    """
    tried = [(root / file_name).resolve() for root in roots]
    found = next((candidate for candidate in tried if candidate.is_file()), None)
    if found is None and check:
        places = " nor ".join(repr(str(candidate)) for candidate in tried)
        raise InputError(f"{role}: image {file_name!r} of {str(path)!r} is neither {places}. COCO file_names are "
                         "relative to the JSON's parent folder (AutoGluon-MM's layout: Annotations/x.json with "
                         "JPEGImages/y.jpg) or to its own folder; give the image root with "
                         "hyperparameters={'model.mmdet_image.coco_root': ...} or fix the file_name.")
    return str(found or tried[0])


def _image_of(ann: Any, images: dict[Any, dict[str, Any]], path: Path, role: str) -> Any:
    if not isinstance(ann, dict) or ann.get("image_id") not in images:
        found = ann.get("image_id") if isinstance(ann, dict) else ann
        raise InputError(f"{role}: annotation {_ann_id(ann)} in {str(path)!r} refers to image_id {found!r}, which "
                         "is not in 'images'. Add the image or remove the annotation.")
    return ann["image_id"]


def _coco_box(ann: dict[str, Any], categories: dict[Any, str], images: dict[Any, dict[str, Any]], path: Path,
              role: str) -> list[Any]:
    if ann.get("category_id") not in categories:
        raise InputError(f"{role}: annotation {_ann_id(ann)} in {str(path)!r} has category_id "
                         f"{ann.get('category_id')!r}, which 'categories' does not define (defined: "
                         f"{sorted(categories)[:20]}). Add the category or fix the id.")
    bbox = ann.get("bbox")
    if not (isinstance(bbox, list) and len(bbox) == 4 and all(isinstance(v, (int, float)) for v in bbox)):
        raise InputError(f"{role}: annotation {_ann_id(ann)} in {str(path)!r} needs 'bbox': [x, y, width, height] "
                         f"in pixels, got {bbox!r}.")
    x, y, w, h = (float(v) for v in bbox)
    image = images[ann["image_id"]]
    return clip_box([x, y, x + w, y + h, categories[ann["category_id"]]], image.get("width"), image.get("height"),
                    f"annotation {_ann_id(ann)} of {image['file_name']!r} in {str(path)!r}")


def _ann_id(ann: Any) -> str:
    return f"id={ann.get('id')!r}" if isinstance(ann, dict) else repr(ann)[:40]


def clip_box(box: list[Any], width: Any, height: Any, where: str) -> list[Any]:
    """``box`` clipped to the image (with a warning) when the image size is known."""
    if not (isinstance(width, (int, float)) and isinstance(height, (int, float))):
        return box
    x1, y1, x2, y2 = (min(max(float(v), 0.0), float(limit)) for v, limit in zip(box[:4], (width, height) * 2))
    if [x1, y1, x2, y2] != [float(v) for v in box[:4]]:
        logger.warning("%s: box %s lies partly outside the %sx%s image; clipped to %s.", where, box[:4], width,
                       height, [x1, y1, x2, y2])
    return [x1, y1, x2, y2, box[4]]


def read_voc(path: Path, role: str) -> pd.DataFrame:
    """A Pascal VOC folder (``Annotations/*.xml`` + ``JPEGImages/``), or one of its ``ImageSets/Main/*.txt``."""
    if path.suffix.lower() == ".txt":
        if not path.is_file():
            raise InputError(f"{role}: VOC split file {str(path)!r} does not exist.")
        root = path.parents[2]
        ids = [line.split()[0] for line in path.read_text().splitlines() if line.strip()]
        files = [root / "Annotations" / f"{i}.xml" for i in ids]
    else:
        root = path
        files = sorted((root / "Annotations").glob("*.xml"))
    if not files:
        raise InputError(f"{role}: no VOC annotation files under {str(root / 'Annotations')!r}.")
    rows = [_voc_row(file, root, role) for file in files]
    return pd.DataFrame(rows, columns=[IMAGE_COLUMN, ROIS_COLUMN])


def _voc_row(file: Path, root: Path, role: str) -> tuple[str, list[list[Any]]]:
    if not file.is_file():
        raise InputError(f"{role}: VOC annotation {str(file)!r} does not exist (listed in the split file).")
    try:
        tree = ET.parse(file).getroot()
    except ET.ParseError as err:
        raise InputError(f"{role}: {str(file)!r} is not valid XML ({err}).") from None
    name = tree.findtext("filename") or f"{file.stem}.jpg"
    image = root / "JPEGImages" / name
    width, height = (_number(tree.findtext(f"size/{k}")) for k in ("width", "height"))
    if width is None or height is None:
        width, height = _image_size(image)
        logger.warning("%s has no <size>; read %sx%s from %s.", file, width, height, image)
    boxes = []
    for obj in tree.findall("object"):
        values = [_number(obj.findtext(f"bndbox/{k}")) for k in ("xmin", "ymin", "xmax", "ymax")]
        label = obj.findtext("name")
        if None in values or not label:
            raise InputError(f"{role}: an <object> in {str(file)!r} lacks <name> or a numeric <bndbox> "
                             "(xmin, ymin, xmax, ymax). Fix or remove it.")
        boxes.append(clip_box([*values, label.strip()], width, height, str(file)))
    return str(image.resolve()), boxes


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _image_size(path: Path) -> tuple[int | None, int | None]:
    from PIL import Image

    try:
        with Image.open(path) as image:
            return image.size
    except OSError:
        return None, None
