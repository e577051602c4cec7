"""Masks as the user saves them: mask PNG files (decoding itself is ``automm.core.base.masks``')."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from automm.core.base.masks import class_map  # noqa: F401  (the decoding of masks: core's base)

from .masks import MaskCodec


def save_masks(masks: pd.Series, images: pd.Series, codec: MaskCodec, folder: Path) -> pd.Series:
    """Write each mask as ``folder/<image stem>.png`` in the training masks' encoding; the paths, per row."""
    folder.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()
    paths = []
    for (row, mask), image in zip(masks.items(), images):
        stem = Path(str(image)).stem or str(row)
        name = f"{stem}.png" if f"{stem}.png" not in used else f"{stem}_{row}.png"
        used.add(name)
        path = folder / name
        codec.to_image(mask).save(path)
        paths.append(str(path))
    return pd.Series(paths, index=masks.index, name="mask_path")
