"""Whole images for dense tasks (detection, segmentation): read as float tensors, resized, letterboxed.

A letterboxed input is ``S x S``: the image resized so its longer side is ``S`` and placed at the top-left
corner, zero-padded at the bottom and right. Outputs map back to the original image by dividing by the scale.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import InputError
from .images import to_rgb


def read_rgb(path: Any, row: Any = None) -> Image.Image:
    """The image file as 8-bit RGB: EXIF rotation applied, any mode converted (alpha over white, 16-bit scaled)."""
    try:
        with Image.open(str(path)) as image:
            return to_rgb(ImageOps.exif_transpose(image))
    except FileNotFoundError:
        raise InputError(f"Image {str(path)!r} (row {row!r}) does not exist. Fix the path or remove the row.") from None
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as err:
        raise InputError(f"Image {str(path)!r} (row {row!r}) cannot be read ({err}). Replace the file or remove "
                         "the row.") from None


def as_pixels(image: Image.Image) -> torch.Tensor:
    """An RGB image as ``[3, H, W]`` float in ``[0, 1]``."""
    return torch.from_numpy(np.asarray(image).copy()).permute(2, 0, 1).float().div_(255.0)


def read_pixels(path: Any, row: Any = None) -> torch.Tensor:
    """``[3, H, W]`` float in ``[0, 1]``: EXIF rotation applied, any mode converted to RGB."""
    return as_pixels(read_rgb(path, row))


def read_letterboxed(path: Any, size: int, row: Any = None) -> tuple[torch.Tensor, tuple[int, int]]:
    """Prediction input: the image with its longer side resized to ``size`` (PIL's bilinear filter on the 8-bit
    RGB image, so Pillow alone reproduces it), as ``[3, h, w]`` floats in ``[0, 1]``; and its original (H, W)."""
    image = read_rgb(path, row)
    width, height = image.size
    new = scaled_size(height, width, letterbox_scale(height, width, size))
    if new != (height, width):
        image = image.resize((new[1], new[0]), resample=Image.BILINEAR)
    return as_pixels(image), (height, width)


def scaled_size(height: int, width: int, scale: float) -> tuple[int, int]:
    """The ``(height, width)`` of an image resized by ``scale`` (at least one pixel each)."""
    return max(1, round(height * scale)), max(1, round(width * scale))


def resize_pixels(pixels: torch.Tensor, size: tuple[int, int], mode: str = "bilinear") -> torch.Tensor:
    """``[C, H, W]`` resized to ``size``; bilinear with antialias for images, ``"nearest"`` for label maps."""
    if mode == "nearest":
        resized = torch.nn.functional.interpolate(pixels[None].float(), size=size, mode="nearest-exact")[0]
        return resized.to(pixels.dtype)
    return torch.nn.functional.interpolate(pixels[None], size=size, mode="bilinear", antialias=True,
                                           align_corners=False)[0]


def letterbox_scale(height: int, width: int, size: int) -> float:
    """Input pixels per original pixel when the longer side becomes ``size``."""
    return size / max(height, width)


# How prediction-time inputs are made, for runtimes that redo it without torch (stored in processors.json).
LETTERBOX_RECIPE = {"decode": "EXIF-rotated, RGB (alpha over white, 16-bit rescaled)", "resize": "PIL bilinear "
                    "resize of the 8-bit RGB image to (max(1, round(H * s)), max(1, round(W * s))) with "
                    "s = image_size / max(H, W)", "pad": "zeros at the bottom and right to image_size x image_size",
                    "scale": "pixels / 255, no mean/std (the network normalises)"}
