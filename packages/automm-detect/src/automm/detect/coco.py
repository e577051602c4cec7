"""AutoGluon-MM's COCO helpers (``autogluon.multimodal.utils``): a COCO file as a DataFrame, a DataFrame as COCO.

Example:
    >>> train = from_coco("tiny_motorbike/Annotations/trainval_cocoformat.json")
    >>> coco = object_detection_df_to_coco(train, save_path="train_again.json")
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd
from PIL import Image

from automm.core.errors import InputError

from .ingest import IMAGE_COLUMN, ROIS_COLUMN, read_coco, read_detection_data

logger = logging.getLogger("automm")


def from_coco(anno_file: str | Path, coco_root: str | Path | None = None) -> pd.DataFrame:
    """A COCO detection file as AutoGluon-MM's table: ``image`` (absolute path), ``rois``
    (``[x1, y1, x2, y2, class_name]`` per box) and ``label`` (the same boxes), sorted by image.

    ``coco_root`` is the folder ``file_name``s are relative to (default: the file's parent folder, then its own).
    As in AutoGluon-MM, images that do not exist are skipped with a warning, and so are images without boxes when
    the file has annotations. A file without annotations gives only the ``image`` column.
    """
    frame = read_coco(Path(anno_file).expanduser(), "from_coco", coco_root)
    exists = frame[IMAGE_COLUMN].map(lambda path: Path(path).is_file())
    for path in frame.loc[~exists, IMAGE_COLUMN]:
        logger.warning("from_coco: image %s does not exist; skipped.", path)
    frame = frame[exists]
    if ROIS_COLUMN in frame.columns:
        frame = frame[frame[ROIS_COLUMN].map(len) > 0]
        frame = frame.assign(label=frame[ROIS_COLUMN])
    frame = frame.sort_values(IMAGE_COLUMN).reset_index(drop=True)
    frame.attrs = {}  # the rows are no longer those of the file
    return frame


def object_detection_df_to_coco(data: pd.DataFrame, save_path: str | Path | None = None) -> dict[str, Any]:
    """A table of ``image`` + ``rois`` (``[x1, y1, x2, y2, class_name]`` per box) as a COCO detection dict, written
    to ``save_path`` when it ends in ``.json``.

    Image ids are row positions; category ids count from 1 in order of first appearance; ``file_name``s are the
    table's image paths. An image that cannot be opened is skipped with a warning.
    """
    frame = read_detection_data(data, "data")
    if ROIS_COLUMN not in frame.columns:
        raise InputError(f"object_detection_df_to_coco needs a 'rois' (or 'label') column; got {list(frame.columns)}.")
    images, annotations, categories = [], [], {}  # type: ignore[var-annotated]
    for image_id, (path, boxes) in enumerate(zip(frame[IMAGE_COLUMN], frame[ROIS_COLUMN])):
        try:
            with Image.open(path) as opened:
                width, height = opened.size
        except OSError as err:
            logger.warning("object_detection_df_to_coco: cannot open %s (%s); skipped.", path, err)
            continue
        images.append({"id": image_id, "file_name": str(path), "width": width, "height": height})
        for x1, y1, x2, y2, name in boxes or []:
            category = categories.setdefault(str(name), len(categories) + 1)
            w, h = float(x2) - float(x1), float(y2) - float(y1)
            annotations.append({"id": len(annotations), "image_id": image_id, "category_id": category,
                                "bbox": [float(x1), float(y1), w, h], "area": w * h, "iscrowd": 0})
    coco = {"images": images, "type": "instances", "annotations": annotations,
            "categories": [{"supercategory": "none", "id": cid, "name": name} for name, cid in categories.items()]}
    if save_path is not None and str(save_path).endswith(".json"):
        Path(save_path).write_text(json.dumps(coco), encoding="utf-8")
    return coco
