"""Mask images <-> class-index maps: the encoding (grey levels, palette indices or RGB colours) is learned from
the training masks and stored as JSON, so predictions are written back in the same encoding.

Accepted masks: palette PNGs (``P``: the palette index is the class), greyscale (``L``; 0/1, 0/255 or
0..N), 16-bit PNGs (``I;16``), 1-bit images, RGB(A) colour masks (each colour a class). Anti-aliased or
JPEG-compressed 0/255 masks (nearly all pixels 0 or 255, a few grey levels between) are thresholded at 128.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from automm.core.base.masks import mask_image
from automm.core.errors import InputError

logger = logging.getLogger("automm")

KINDS = ("values", "colours", "threshold", "nonzero")
# More grey levels than this, with nearly every pixel at 0 or 255, means a 0/255 mask with anti-aliased edges.
_THRESHOLD_MIN_LEVELS = 3
_THRESHOLD_MIN_EXTREME_FRACTION = 0.95


@dataclass(frozen=True)
class MaskCodec:
    """How mask pixels map to class indices ``0 .. num_classes - 1``.

    Attributes:
        kind: "values" (grey levels or palette indices: class ``i`` is pixel value ``values[i]``), "colours"
            (RGB: class ``i`` is colour ``values[i]`` packed as ``r << 16 | g << 8 | b``) or "threshold"
            (binary: class 1 where the grey level is >= 128) or "nonzero" (binary: class 1 wherever the pixel is
            not 0 or black; a zero-shot predictor's encoding, which has seen no masks; written as 0/255).
        values: pixel values (or packed colours) of the classes, in class order.
        palette: the palette of palette-PNG training masks (768 ints), reused when writing predictions.
    """

    kind: str
    values: tuple[int, ...]
    palette: tuple[int, ...] | None = None

    @property
    def num_classes(self) -> int:
        return len(self.values)

    @property
    def binary(self) -> bool:
        return self.num_classes == 2

    @property
    def class_names(self) -> list[str]:
        """Each class as its mask value ("0", "255") or colour ("#ff0000")."""
        return [str(self._describe(v)) for v in self.values]

    # ------------------------------------------------------------------ learning
    @classmethod
    def learn(cls, paths: Iterable[tuple[Any, Any]]) -> MaskCodec:
        """The encoding of training masks ``(row, path)``; refuses masks that mix encodings or hold one class."""
        colour, levels, palette, extreme, total = None, set(), None, 0, 0
        for row, path in paths:
            raw, mode, image_palette = read_raw_mask(path, row)
            is_colour = raw.ndim == 3
            if colour is None:
                colour = is_colour
            elif colour != is_colour:
                raise InputError(f"Mask {str(path)!r} (row {row!r}) is {'RGB' if is_colour else 'single-channel'} "
                                 f"but earlier masks are {'RGB' if colour else 'single-channel'}: give every mask "
                                 "in one encoding (all class-index PNGs, or all colour PNGs).")
            keys = _pack(raw) if is_colour else raw
            levels.update(np.unique(keys).tolist())
            if mode == "P" and palette is None:
                palette = image_palette
            if not is_colour:
                extreme += int(np.count_nonzero((raw == 0) | (raw == 255)))
                total += raw.size
        if colour is None:
            raise InputError("No training masks: the label column is empty.")
        values = tuple(sorted(int(v) for v in levels))
        if (not colour and len(values) >= _THRESHOLD_MIN_LEVELS and values[0] == 0 and values[-1] == 255
                and extreme >= _THRESHOLD_MIN_EXTREME_FRACTION * total and palette is None):
            logger.warning("The masks hold %d grey levels but %.1f%% of pixels are 0 or 255: read as binary 0/255 "
                           "masks with soft edges, thresholded at 128.", len(values), 100 * extreme / total)
            return cls("threshold", (0, 255))
        if len(values) < 2:
            raise InputError(f"Every training mask holds the single value {values[0]}: segmentation needs at least "
                             "two classes (e.g. background 0 and foreground 255). Check that the masks are not empty.")
        return cls("colours" if colour else "values", values, palette)

    @classmethod
    def any_binary(cls) -> MaskCodec:
        """Binary masks in any encoding (0/1, 0/255, palette, colours): what a zero-shot predictor reads."""
        return cls("nonzero", (0, 255))

    # ------------------------------------------------------------------ decoding
    def decode(self, path: Any, row: Any = None) -> np.ndarray:
        """Mask file -> ``[H, W]`` class indices (uint8, or uint16 beyond 256 classes)."""
        raw, _, _ = read_raw_mask(path, row)
        dtype = np.uint8 if self.num_classes <= 256 else np.uint16
        if self.kind == "nonzero":
            return ((_pack(raw) if raw.ndim == 3 else raw) > 0).astype(dtype)
        if self.kind == "threshold":
            if raw.ndim == 3:
                raise InputError(f"Mask {str(path)!r} (row {row!r}) is RGB, but the training masks were greyscale.")
            return (raw >= 128).astype(dtype)
        if (raw.ndim == 3) != (self.kind == "colours"):
            raise InputError(f"Mask {str(path)!r} (row {row!r}) is {'RGB' if raw.ndim == 3 else 'single-channel'}, "
                             f"but the training masks were {'RGB' if self.kind == 'colours' else 'single-channel'}.")
        keys = _pack(raw) if raw.ndim == 3 else raw.astype(np.int64)
        known = np.asarray(self.values, dtype=np.int64)
        index = np.searchsorted(known, keys).clip(0, len(known) - 1)
        unknown = keys != known[index]
        if unknown.any():
            found = [self._describe(v) for v in np.unique(keys[unknown])[:10].tolist()]
            raise InputError(f"Mask {str(path)!r} (row {row!r}) has pixel values {found} that no training mask had "
                             f"(known: {[self._describe(v) for v in self.values[:20]]}). Map them to known classes, "
                             "or fit again with masks that contain them.")
        return index.astype(dtype)

    def _describe(self, value: int) -> Any:
        return f"#{value:06x}" if self.kind == "colours" else value

    # ------------------------------------------------------------------ encoding predictions
    def to_image(self, indices: np.ndarray) -> Image.Image:
        """Class indices -> a mask image in the training masks' encoding (palette, grey levels or colours)."""
        return mask_image(indices, self.to_json())

    # ------------------------------------------------------------------ JSON
    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "values": list(self.values),
                "palette": list(self.palette) if self.palette is not None else None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MaskCodec:
        kind, values = str(data["kind"]), tuple(int(v) for v in data["values"])
        if kind not in KINDS or len(values) < 2 or list(values) != sorted(set(values)):
            raise ValueError("a mask codec needs a known kind and at least two sorted, distinct values")
        palette = data.get("palette")
        return cls(kind, values, tuple(int(v) for v in palette) if palette is not None else None)


def read_raw_mask(path: Any, row: Any = None) -> tuple[np.ndarray, str, tuple[int, ...] | None]:
    """(pixels ``[H, W]`` or ``[H, W, 3]``, PIL mode, palette) of a mask file, EXIF rotation applied."""
    if not isinstance(path, (str, Path)) or isinstance(path, bool):
        raise InputError(f"Row {row!r}: the label is {path!r}, not a mask file. Semantic segmentation needs one mask "
                         "image path per row in the label column (a PNG of class indices, 0/255, or colours).")
    try:
        with Image.open(str(path)) as image:
            image = ImageOps.exif_transpose(image)
            mode = image.mode
            palette = tuple(image.getpalette() or ()) if mode == "P" else None
            if mode in ("RGB", "RGBA", "RGBX", "CMYK", "YCbCr", "HSV"):
                pixels = np.asarray(image.convert("RGB"))
            elif mode in ("LA", "PA"):
                pixels = np.asarray(image.getchannel(0))
            elif mode == "F":
                raise InputError(f"Mask {str(path)!r} (row {row!r}) holds floating-point pixels; save it as a PNG of "
                                 "integer class indices.")
            else:  # P, L, 1, I;16*, I
                pixels = np.asarray(image)
    except FileNotFoundError:
        raise InputError(f"Mask {str(path)!r} (row {row!r}) does not exist. Fix the path in the label column or "
                         "remove the row.") from None
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as err:
        raise InputError(f"Mask {str(path)!r} (row {row!r}) cannot be read as an image ({err}). Replace the file "
                         "or remove the row.") from None
    if pixels.dtype == bool:
        pixels = pixels.astype(np.uint8)
    return pixels.astype(np.int64) if pixels.ndim == 2 else pixels, mode, palette


def _pack(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb.astype(np.int64)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


def oriented_size(path: Any, row: Any = None) -> tuple[int, int]:
    """(height, width) of an image file after EXIF rotation, reading only its header."""
    try:
        with Image.open(str(path)) as image:
            width, height = image.size
            if image.getexif().get(0x0112, 1) in (5, 6, 7, 8):  # rotated by 90 or 270 degrees
                width, height = height, width
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as err:
        raise InputError(f"Image {str(path)!r} (row {row!r}) cannot be read ({err}). Replace the file or remove "
                         "the row.") from None
    return height, width
