"""Whole images for dense tasks (detection, segmentation) -> letterboxed inputs, Pillow and numpy only.

A letterboxed input is ``S x S``: the EXIF-rotated RGB image resized (PIL bilinear, on the 8-bit image) so its
longer side is ``S``, placed at the top-left corner, zero-padded at the bottom and right, scaled to ``[0, 1]``
(no mean/std: the network normalises). Outputs map back to the original image by dividing by the scale.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from automm.core.errors import InputError

from .images import to_rgb

UNREADABLE = (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError)


def open_rgb(source: Any) -> Image.Image:
    """An image file (path or file object) as 8-bit RGB, EXIF rotation applied (alpha over white, 16-bit scaled).

    Raises:
        OSError, ValueError and PIL's errors: the source is missing or not an image.
    """
    with Image.open(source) as image:
        return to_rgb(ImageOps.exif_transpose(image))


def read_rgb(path: Any, row: Any = None) -> Image.Image:
    """The image file as 8-bit RGB: EXIF rotation applied, any mode converted (alpha over white, 16-bit scaled).

    Raises:
        InputError: the file is missing or unreadable (naming the path, the row and the fix).
    """
    try:
        return open_rgb(str(path))
    except FileNotFoundError:
        raise InputError(f"Image {str(path)!r} (row {row!r}) does not exist. Fix the path or remove the row.") from None
    except UNREADABLE as err:
        raise InputError(f"Image {str(path)!r} (row {row!r}) cannot be read ({err}). Replace the file or remove "
                         "the row.") from None


def letterbox_scale(height: int, width: int, size: int) -> float:
    """Input pixels per original pixel when the longer side becomes ``size``."""
    return size / max(height, width)


def scaled_size(height: int, width: int, scale: float) -> tuple[int, int]:
    """The ``(height, width)`` of an image resized by ``scale`` (at least one pixel each)."""
    return max(1, round(height * scale)), max(1, round(width * scale))


def letterbox_resize(image: Image.Image, size: int) -> Image.Image:
    """``image`` with its longer side resized to ``size`` (PIL bilinear on the 8-bit RGB image)."""
    width, height = image.size
    new = scaled_size(height, width, letterbox_scale(height, width, size))
    return image if new == (height, width) else image.resize((new[1], new[0]), resample=Image.BILINEAR)


def unit_pixels(image: Image.Image) -> np.ndarray:
    """An RGB image as ``[3, H, W]`` float32 in ``[0, 1]``."""
    return np.asarray(image, np.float32).transpose(2, 0, 1) / np.float32(255)


def letterbox(image: Image.Image, size: int) -> tuple[np.ndarray, tuple[int, int], tuple[int, int]]:
    """The ``[3, size, size]`` float32 input (the resized image top-left, zeros elsewhere), the resized
    ``(height, width)`` inside it and the original ``(height, width)``."""
    resized = letterbox_resize(image, size)
    pixels = np.zeros((3, size, size), np.float32)
    width, height = resized.size
    pixels[:, :height, :width] = unit_pixels(resized)
    return pixels, (height, width), (image.size[1], image.size[0])
