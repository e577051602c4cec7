"""Per-row network outputs as the user sees them: mask Series, probability Series, mask PNG files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .masks import MaskCodec


def class_map(probability: np.ndarray, threshold: float) -> np.ndarray:
    """``[C, H, W]`` probabilities -> ``[H, W]`` class indices (binary: foreground where p >= threshold)."""
    dtype = np.uint8 if len(probability) <= 256 else np.uint16
    if len(probability) == 2:
        return (probability[1].astype(np.float32) >= threshold).astype(dtype)
    return probability.argmax(axis=0).astype(dtype)


def mask_series(outputs: list[np.ndarray], index: pd.Index, threshold: float) -> pd.Series:
    return pd.Series([class_map(p, threshold) for p in outputs], index=index, dtype=object, name="mask")


def proba_frame(outputs: list[np.ndarray], index: pd.Index, classes: list[str]) -> pd.DataFrame:
    """One column per class, each cell that class's ``[H, W]`` float32 probability map for the row."""
    columns = {name: [np.asarray(p[k], dtype=np.float32) for p in outputs] for k, name in enumerate(classes)}
    return pd.DataFrame(columns, index=index, columns=classes, dtype=object)


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
