"""Image cells -> normalised pixel slots, with Pillow and numpy only (rule family "image").

The rules: ``image_path`` cells hold paths separated by ';', ``image_base64`` one base64 image, ``image_bytes``
raw bytes, and an unreadable image is skipped; each image is opened with PIL's JPEG draft at ``draft_size``,
16-bit and float images are scaled to 8 bits, alpha is composited over white; prediction resizes the shorter side
to ``size`` (PIL bilinear), centre-crops ``size x size``, scales by 1/255, subtracts ``mean``, divides by ``std``
and puts channels first; a row's readable images fill its slots in column order, a mask marking the filled ones.
"""

from __future__ import annotations

import base64
import binascii
import io
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from automm.core.errors import InputError

from .cells import is_missing

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
DRAFT_SIZE = 1024  # a large JPEG is decoded at reduced size (PIL's draft) when it is at least this big
PATH_SEPARATOR = ";"  # several image paths in one cell: "a.jpg;b.jpg"
UNREADABLE = (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError,
              Image.DecompressionBombWarning, SyntaxError)


def split_paths(cell: Any) -> list[str]:
    """Image paths in one cell, separated by ';'."""
    return [p.strip() for p in str(cell).split(PATH_SEPARATOR) if p.strip()]


def base64_bytes(cell: Any) -> io.BytesIO | None:
    """The bytes a base64 cell encodes, or None when it is not valid base64."""
    try:
        return io.BytesIO(base64.b64decode(str(cell), validate=True))
    except (binascii.Error, ValueError):
        return None


def to_rgb(image: Image.Image) -> Image.Image:
    """RGB from any mode: grey, palette, RGBA, CMYK, 16-bit and float images included (alpha over white)."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        array = np.asarray(image, dtype=np.float32)
        top = 65535.0 if array.max(initial=0) > 255 else 255.0
        image = Image.fromarray(np.clip(array / top * 255.0, 0, 255).astype(np.uint8), mode="L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", image.size, (255, 255, 255, 255)), image)
    return image.convert("RGB")


def open_image(source: Any, draft_size: int = DRAFT_SIZE) -> Image.Image | None:
    """An image file or file object as RGB (large JPEGs decoded at reduced size), or None when unreadable."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source) as image:
                image.draft("RGB", (draft_size, draft_size))  # JPEG: decode at reduced size when the file is large
                return to_rgb(image)
    except UNREADABLE:
        return None


def read_cell(cell: Any, kind: str, draft_size: int = DRAFT_SIZE, allow_paths: bool = True,
              where: str = "") -> list[Image.Image | None]:
    """Every image in one cell as RGB; an unreadable one becomes None (its slot stays empty).

    With ``allow_paths=False`` (a server) path cells are read as base64 too, and a cell that is not a base64
    image raises instead of being skipped, so a request never reads the server's files.

    Raises:
        InputError: ``allow_paths=False`` and a path or base64 cell is not a base64 image (``where`` names it).
    """
    if is_missing(cell):
        return []
    if kind == "image_path" and allow_paths:
        return [open_image(path, draft_size) for path in split_paths(cell)]
    if kind in ("image_base64", "image_path"):
        data = base64_bytes(cell)
        image = None if data is None else open_image(data, draft_size)
        if image is None and not allow_paths:
            raise InputError(f"{where}: {str(cell)[:40]!r} is not a base64-encoded image. Send each image as base64 "
                             "of its file's bytes (file paths are not read).")
        return [image]
    if isinstance(cell, (bytes, bytearray)):
        return [open_image(io.BytesIO(bytes(cell)), draft_size)]
    return [None]


def row_images(cells: Sequence[Any], kinds: Sequence[str], max_images: int, draft_size: int = DRAFT_SIZE,
               allow_paths: bool = True, where: Sequence[str] = ()) -> list[Image.Image]:
    """A row's readable images, in column order, at most ``max_images`` (``where`` names each cell for errors)."""
    images = [image for position, (cell, kind) in enumerate(zip(cells, kinds))
              for image in read_cell(cell, kind, draft_size, allow_paths, where[position] if where else "")]
    return [image for image in images if image is not None][:max_images]


def resize_and_crop(image: Image.Image, size: int) -> Image.Image:
    """The shorter side resized to ``size`` (PIL bilinear; the longer to ``int(size * long / short)``), then the
    centre ``size x size`` crop (``top = round((height - size) / 2)``, likewise ``left``)."""
    width, height = image.size
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = size, int(size * long / short)
    new_width, new_height = (new_short, new_long) if width <= height else (new_long, new_short)
    if (new_width, new_height) != (width, height):
        image = image.resize((new_width, new_height), resample=Image.BILINEAR)
    top, left = int(round((new_height - size) / 2.0)), int(round((new_width - size) / 2.0))
    return image.crop((left, top, left + size, top + size))


def normalized(image: Image.Image, mean: Sequence[float], std: Sequence[float]) -> np.ndarray:
    """``[3, H, W]`` float32: pixels / 255 (as torchvision scales), minus ``mean``, divided by ``std``."""
    array = np.asarray(image, np.float32).transpose(2, 0, 1) * np.float32(1.0 / 255)
    return (array - np.asarray(mean, np.float32).reshape(3, 1, 1)) / np.asarray(std, np.float32).reshape(3, 1, 1)


def prediction_pixels(size: int, mean: Sequence[float], std: Sequence[float]) -> Callable[[Image.Image], np.ndarray]:
    """Prediction's transform of one image: ``resize_and_crop`` then ``normalized``."""
    return lambda image: normalized(resize_and_crop(image, size), mean, std)


def pack_slots(rows: Sequence[Sequence[Image.Image]], slots: int, size: int,
               pixels: Callable[[Image.Image], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Pixels ``[rows, slots, 3, size, size]`` float32 (zeros in empty slots) and a bool mask ``[rows, slots]``."""
    out = np.zeros((len(rows), slots, 3, size, size), np.float32)
    mask = np.zeros((len(rows), slots), bool)
    for row, images in enumerate(rows):
        for slot, image in enumerate(images[:slots]):
            out[row, slot], mask[row, slot] = pixels(image), True
    return out, mask
