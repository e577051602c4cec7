"""Segmentation outputs with numpy: logits at the letterboxed input -> per-class probability maps at each image's
own size -> class-index masks, and masks as images in the training masks' encoding; one implementation for the
torch predictor and the ONNX runtime."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

from .decoders import Decoder
from .registry import DECODERS


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


def probabilities(logits: np.ndarray, valid: Any, size: Any) -> np.ndarray:
    """One row's ``[K, S, S]`` logits -> ``[C, H, W]`` float16 class probabilities at the original size: the
    ``valid`` = (h, w) part of the letterboxed input, resized to ``size`` = (H, W), then a sigmoid (one logit:
    background, foreground) or a softmax over the classes."""
    cropped = np.asarray(logits)[:, : int(valid[0]), : int(valid[1])].astype(np.float32)
    resized = resize_bilinear(cropped, int(size[0]), int(size[1]))
    if len(resized) == 1:
        with np.errstate(over="ignore"):
            foreground = 1 / (1 + np.exp(-resized[0]))
        return np.stack([1 - foreground, foreground]).astype(np.float16)
    exponentials = np.exp(resized - resized.max(axis=0, keepdims=True))
    return (exponentials / exponentials.sum(axis=0, keepdims=True)).astype(np.float16)


def class_map(probability: np.ndarray, threshold: float) -> np.ndarray:
    """``[C, H, W]`` probabilities -> ``[H, W]`` class indices (binary: foreground where p >= threshold)."""
    dtype = np.uint8 if len(probability) <= 256 else np.uint16
    if len(probability) == 2:
        return (probability[1].astype(np.float32) >= threshold).astype(dtype)
    return probability.argmax(axis=0).astype(dtype)


def class_names(codec: Mapping[str, Any]) -> list[str]:
    """The classes of a mask encoding (automm-segment's ``MaskCodec.to_json``): pixel values, or ``#rrggbb``."""
    colours = codec["kind"] == "colours"
    return [f"#{int(v):06x}" if colours else str(int(v)) for v in codec["values"]]


def mask_image(indices: np.ndarray, codec: Mapping[str, Any]) -> Image.Image:
    """Class indices -> a mask image in the training masks' encoding: 0/255 for binary masks thresholded or read
    as nonzero; else class ``i`` is pixel value ``values[i]`` (grey levels, 16-bit values beyond 255, palette
    indices with the training palette, or RGB colours)."""
    kind, palette = codec["kind"], codec.get("palette")
    if kind in ("threshold", "nonzero"):
        return Image.fromarray((indices > 0).astype(np.uint8) * 255, mode="L")
    values = np.asarray(codec["values"], dtype=np.int64)[indices]
    if kind == "colours":
        rgb = np.stack([(values >> 16) & 255, (values >> 8) & 255, values & 255], axis=-1).astype(np.uint8)
        return Image.fromarray(rgb, mode="RGB")
    if values.max(initial=0) > 255:
        return Image.fromarray(values.astype(np.uint16))  # mode I;16
    image = Image.fromarray(values.astype(np.uint8), mode="L")
    if palette is not None:
        image = image.convert("P")
        image.putpalette(list(palette))
    return image


@DECODERS.register("masks")
class MasksDecoder(Decoder):
    """Per-row ``[C, H, W]`` probabilities -> a Series of class-index masks, or one probability-map column per
    class, named by the task's mask encoding (``codec``)."""

    name = "masks"

    def __init__(self, codec: Mapping[str, Any], threshold: float = 0.5):
        self.codec, self.threshold = dict(codec), float(threshold)
        self.classes = class_names(self.codec)

    def params(self) -> dict[str, Any]:
        return {"codec": self.codec, "threshold": self.threshold}

    def predict(self, outputs: list[np.ndarray], rows: pd.Index) -> pd.Series:
        """One ``[H, W]`` class-index map per row."""
        return pd.Series([class_map(p, self.threshold) for p in outputs], index=rows, dtype=object, name="mask")

    def predict_proba(self, outputs: list[np.ndarray], index: pd.Index) -> pd.DataFrame:
        """One column per class, each cell that class's ``[H, W]`` float32 probability map."""
        columns = {name: [np.asarray(p[k], dtype=np.float32) for p in outputs]
                   for k, name in enumerate(self.classes)}
        return pd.DataFrame(columns, index=index, columns=self.classes, dtype=object)

    def png(self, mask: np.ndarray) -> bytes:
        """A class-index mask as PNG bytes in the training masks' encoding (see ``mask_image``)."""
        buffer = io.BytesIO()
        mask_image(mask, self.codec).save(buffer, format="PNG")
        return buffer.getvalue()
