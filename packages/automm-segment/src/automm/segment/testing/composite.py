"""Composited segmentation data on disk: images, mask PNGs and a CSV of ``image``, ``label`` paths.

The images and exact masks come from core's :mod:`automm.core.testing.composite` (real objects pasted on
real photos). Masks are class-index PNGs: 0 background, ``k + 1`` for class ``k``; with ``binary`` every
object is 255 (a 0/255 mask).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

from automm.core.testing.composite import iter_composited


def make_composited_segmentation(folder: str | Path, num_images: int, objects: str = "digits", *,
                                 split_name: str = "train", binary: bool = True, **options: Any) -> Path:
    """Write ``folder/images/<split>_NNNNN.jpg``, ``folder/masks/<split>_NNNNN.png`` and ``folder/<split>.csv``.

    The CSV's paths are relative to its folder. ``options`` are those of ``iter_composited``.

    Example:
        >>> csv = make_composited_segmentation(tmp_path, 20, "fashion_mnist", split_name="val", seed=1)
    """
    folder = Path(folder)
    for sub in ("images", "masks"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    rows = []
    for index, sample in enumerate(iter_composited(num_images, objects, **options), start=1):
        image, mask = f"images/{split_name}_{index:05d}.jpg", f"masks/{split_name}_{index:05d}.png"
        Image.fromarray(sample.image).save(folder / image, quality=95)
        Image.fromarray(class_mask(sample.masks, sample.labels, binary), mode="L").save(folder / mask)
        rows.append({"image": image, "label": mask})
    csv = folder / f"{split_name}.csv"
    pd.DataFrame(rows, columns=["image", "label"]).to_csv(csv, index=False)
    return csv


def make_autogluon_layout(folder: str | Path, num_train: int, num_val: int, num_test: int, objects: str = "digits",
                          name: str = "leaf_disease_segmentation", **options: Any) -> Path:
    """Composited binary splits laid out as AutoGluon-MM's segmentation tutorial data.

    Writes ``folder/<name>/{train,val,test}.csv`` (an unnamed index column first, as ``read_csv(index_col=0)``
    expects; ``image`` and ``label`` paths relative to ``folder/<name>``) and the images and 0/255 masks; returns
    ``folder/<name>``. ``options`` are those of ``iter_composited``.
    """
    root = Path(folder) / name
    seed = options.pop("seed", 0)
    for offset, (split, count) in enumerate((("train", num_train), ("val", num_val), ("test", num_test))):
        csv = make_composited_segmentation(root, count, objects, split_name=split, seed=seed + offset, **options)
        pd.read_csv(csv).to_csv(csv)  # with the index column
    return root


def class_mask(masks: np.ndarray, labels: tuple[int, ...], binary: bool) -> np.ndarray:
    """``[n, H, W]`` object masks -> one ``[H, W]`` uint8 mask (255 per object, or class index + 1)."""
    out = np.zeros(masks.shape[1:], dtype=np.uint8)
    for mask, label in zip(masks, labels):
        out[mask] = 255 if binary else label + 1
    return out
