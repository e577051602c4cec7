"""Segmentation outputs with numpy: logits at the letterboxed input -> per-class probability maps at each
image's own size -> class-index masks, as automm-segment computes them with torch, and mask PNGs as it writes them."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image


def _axis(source: int, target: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices and weights of bilinear resampling along one axis (half-pixel centres, no antialias), as
    torch's ``interpolate(mode="bilinear", align_corners=False)`` computes them."""
    scale = np.float32(source / target)
    position = np.maximum((np.arange(target, dtype=np.float32) + np.float32(0.5)) * scale - np.float32(0.5), 0)
    low = np.minimum(position.astype(np.int64), source - 1)
    high = np.minimum(low + 1, source - 1)
    weight = np.clip(position - low, 0, 1).astype(np.float32)
    return low, high, weight


def resize_bilinear(maps: np.ndarray, height: int, width: int) -> np.ndarray:
    """``[K, h, w]`` float32 -> ``[K, height, width]``."""
    top, bottom, dy = _axis(maps.shape[1], height)
    left, right, dx = _axis(maps.shape[2], width)
    rows = maps[:, top] * (1 - dy)[:, None] + maps[:, bottom] * dy[:, None]
    return rows[:, :, left] * (1 - dx) + rows[:, :, right] * dx


def probabilities(logits: np.ndarray, valid: np.ndarray, size: np.ndarray) -> np.ndarray:
    """One row's ``[K, S, S]`` logits -> ``[C, H, W]`` float16 class probabilities at the original size (binary:
    background, foreground)."""
    cropped = logits[:, : int(valid[0]), : int(valid[1])].astype(np.float32)
    resized = resize_bilinear(cropped, int(size[0]), int(size[1]))
    if len(resized) == 1:
        foreground = 1 / (1 + np.exp(-resized[0]))
        return np.stack([1 - foreground, foreground]).astype(np.float16)
    exponentials = np.exp(resized - resized.max(axis=0, keepdims=True))
    return (exponentials / exponentials.sum(axis=0, keepdims=True)).astype(np.float16)


class SegmentationDecoder:
    """Masks and probability maps from per-row probabilities, named by the task's mask encoding."""

    has_proba = True

    def __init__(self, task: dict[str, Any]):
        self.codec = codec = task["codec"]
        colours = codec["kind"] == "colours"
        self.classes = [f"#{int(v):06x}" if colours else str(int(v)) for v in codec["values"]]
        self.threshold = float(task.get("threshold", 0.5))

    def predict(self, outputs: list[np.ndarray], index: pd.Index) -> pd.Series:
        """One ``[H, W]`` class-index map per row (binary: foreground where p >= threshold)."""
        return pd.Series([self._class_map(p) for p in outputs], index=index, dtype=object, name="mask")

    def predict_proba(self, outputs: list[np.ndarray], index: pd.Index) -> pd.DataFrame:
        """One column per class, each cell that class's ``[H, W]`` float32 probability map."""
        columns = {name: [np.asarray(p[k], dtype=np.float32) for p in outputs] for k, name in enumerate(self.classes)}
        return pd.DataFrame(columns, index=index, columns=self.classes, dtype=object)

    def _class_map(self, probability: np.ndarray) -> np.ndarray:
        dtype = np.uint8 if len(probability) <= 256 else np.uint16
        if len(probability) == 2:
            return (probability[1].astype(np.float32) >= self.threshold).astype(dtype)
        return probability.argmax(axis=0).astype(dtype)

    def png(self, mask: np.ndarray) -> bytes:
        """A class-index mask as a PNG in the training masks' encoding, as automm-segment's ``save_results`` writes
        it: class ``i`` is pixel value ``classes[i]`` (0/255 for binary masks thresholded or read zero-shot; grey
        levels, 16-bit values beyond 255, palette indices with the training palette, or RGB colours)."""
        kind, palette = self.codec["kind"], self.codec.get("palette")
        if kind in ("threshold", "nonzero"):
            image = Image.fromarray((mask > 0).astype(np.uint8) * 255)
        else:
            values = np.asarray(self.codec["values"], dtype=np.int64)[mask]
            if kind == "colours":
                image = Image.fromarray(np.stack([(values >> shift) & 255 for shift in (16, 8, 0)], axis=-1)
                                        .astype(np.uint8))
            elif values.max(initial=0) > 255:
                image = Image.fromarray(values.astype(np.uint16))  # mode I;16
            else:
                image = Image.fromarray(values.astype(np.uint8))
                if palette is not None:
                    image = image.convert("P")
                    image.putpalette(list(palette))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue()
