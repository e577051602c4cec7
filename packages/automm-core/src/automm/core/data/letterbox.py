"""Whole images for dense tasks (detection, segmentation) as torch tensors: ``automm.core.base.letterbox``'s
reading and letterbox resize (what the ONNX runtime runs), converted to tensors, plus torch resizing for training.
"""

from __future__ import annotations

from typing import Any

import torch

from ..base.letterbox import letterbox_resize, letterbox_scale, read_rgb, scaled_size, unit_pixels

__all__ = ["as_pixels", "letterbox_scale", "read_letterboxed", "read_pixels", "read_rgb", "resize_pixels",
           "scaled_size"]


def as_pixels(image: Any) -> torch.Tensor:
    """An RGB image as ``[3, H, W]`` float in ``[0, 1]``."""
    return torch.from_numpy(unit_pixels(image))


def read_pixels(path: Any, row: Any = None) -> torch.Tensor:
    """``[3, H, W]`` float in ``[0, 1]``: EXIF rotation applied, any mode converted to RGB."""
    return as_pixels(read_rgb(path, row))


def read_letterboxed(path: Any, size: int, row: Any = None) -> tuple[torch.Tensor, tuple[int, int]]:
    """Prediction input: the image with its longer side resized to ``size`` (``base.letterbox``), as
    ``[3, h, w]`` floats in ``[0, 1]``; and its original (H, W)."""
    image = read_rgb(path, row)
    return as_pixels(letterbox_resize(image, size)), (image.size[1], image.size[0])


def resize_pixels(pixels: torch.Tensor, size: tuple[int, int], mode: str = "bilinear") -> torch.Tensor:
    """``[C, H, W]`` resized to ``size``; bilinear with antialias for images, ``"nearest"`` for label maps."""
    if mode == "nearest":
        resized = torch.nn.functional.interpolate(pixels[None].float(), size=size, mode="nearest-exact")[0]
        return resized.to(pixels.dtype)
    return torch.nn.functional.interpolate(pixels[None], size=size, mode="bilinear", antialias=True,
                                           align_corners=False)[0]
