"""Image cells -> normalised pixel slots, with Pillow and numpy only (rule family "image").

The rules: an image cell may hold a path (several separated by ';'), raw bytes, base64 (with or without a
``data:image/...;base64,`` prefix), a PIL image, a numpy array of pixels, or a list of those, whatever type the
column was given (the type only decides how an ambiguous string is tried first: ``image_base64`` as base64, else as
a path); an unreadable image is skipped; each image is opened with PIL's JPEG draft at ``draft_size``, 16-bit and
float images are scaled to 8 bits, alpha is composited over white; prediction resizes the shorter side to ``size``
(PIL bilinear), centre-crops ``size x size``, scales by 1/255, subtracts ``mean``, divides by ``std`` and puts
channels first; a row's readable images fill its slots in column order, a mask marking the filled ones.
"""

from __future__ import annotations

import base64
import binascii
import io
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np
from PIL import Image, UnidentifiedImageError

from automm.core.errors import InputError

from .cells import is_missing

IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*", b"RIFF", b"P5", b"P6")
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
DRAFT_SIZE = 1024  # a large JPEG is decoded at reduced size (PIL's draft) when it is at least this big
PATH_SEPARATOR = ";"  # several image paths in one cell: "a.jpg;b.jpg"
ACCEPTED = ("give a file path, raw bytes, base64 (optionally a data: URI), a PIL image or a numpy array of pixels "
            "(or a list of those)")
UNREADABLE = (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError,
              Image.DecompressionBombWarning, SyntaxError)


@dataclass(frozen=True)
class Unreadable:
    """A part of an image cell that holds no image, and why (e.g. "file not found: 'a.jpg'")."""

    reason: str


Source = Union[str, io.BytesIO, Image.Image, Unreadable]  # noqa: UP007 (a runtime alias)


def split_paths(cell: Any) -> list[str]:
    """Image paths in one cell, separated by ';'."""
    return [p.strip() for p in str(cell).split(PATH_SEPARATOR) if p.strip()]


def base64_bytes(cell: Any) -> io.BytesIO | None:
    """The bytes a base64 cell encodes (a ``data:...;base64,`` prefix and line breaks allowed), or None when it is
    not valid base64."""
    text = str(cell).strip()
    if text.startswith("data:"):
        head, _, text = text.partition(",")
        if not head.endswith(";base64"):
            return None
    try:
        return io.BytesIO(base64.b64decode("".join(text.split()), validate=True))
    except (binascii.Error, ValueError):
        return None


def image_sources(cell: Any, kind: str, allow_paths: bool = True) -> list[Source]:
    """What each image of one cell is read from, undecoded: a path, the bytes, a PIL image, or ``Unreadable``.

    Any cell type is read in any image column (``kind`` only orders how a string is tried). With
    ``allow_paths=False`` (a server) a string is base64 only: no file is read.
    """
    if is_missing(cell):
        return []
    if isinstance(cell, Image.Image):
        return [cell]
    if isinstance(cell, np.ndarray) and cell.dtype != object:
        return [_array_image(cell)]
    if isinstance(cell, (list, tuple, np.ndarray)):
        return [source for part in cell for source in image_sources(part, kind, allow_paths)]
    if isinstance(cell, (bytes, bytearray, memoryview)):
        return [io.BytesIO(bytes(cell))]
    if isinstance(cell, str):
        return _string_sources(cell.strip(), kind, allow_paths)
    return [Unreadable(f"{type(cell).__name__} value {repr(cell)[:30]} is not an image: {ACCEPTED}")]


def _string_sources(cell: str, kind: str, allow_paths: bool) -> list[Source]:
    """A string cell's images: base64 (first in an ``image_base64`` column, or with a ``data:`` prefix), else
    paths; a path that is no file may still be base64 of an image."""
    if not cell:
        return []
    if cell.startswith("data:") or kind == "image_base64" or not allow_paths:
        data = base64_bytes(cell)
        if data is not None or cell.startswith("data:"):
            return [data if data is not None else Unreadable("a data: URI that is not valid base64")]
        if not allow_paths:
            return [Unreadable("not base64 of an image file (file paths are not read here)")]
    return [_path_source(path) for path in split_paths(cell)]


def _path_source(path: str) -> Source:
    if os.path.exists(path):
        return path
    data = base64_bytes(path) if len(path) >= 16 else None
    if data is not None and data.getvalue().startswith(IMAGE_MAGIC):
        return data
    return Unreadable(f"file not found: {path[:80]!r}")


def _array_image(array: np.ndarray) -> Image.Image | Unreadable:
    """Pixels ``[H, W]`` or ``[H, W, 1|3|4]`` (8 or 16 bits, or floats in [0, 1]) as an image."""
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[-1] in (3, 4))) or array.dtype.kind not in "biuf":
        return Unreadable(f"an array of shape {array.shape} and dtype {array.dtype} is not an image's pixels "
                          "([H, W] or [H, W, 3])")
    top = float(np.nanmax(array, initial=0))
    if array.dtype.kind == "f" and top <= 1.0:
        array = array * 255.0
    elif top > 255:  # 16-bit pixels
        array = array / 257.0
    return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))


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
    """An image file, file object or PIL image as RGB (large JPEGs decoded at reduced size), or None when
    unreadable."""
    if isinstance(source, Unreadable):
        return None
    if isinstance(source, Image.Image):
        return to_rgb(source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source) as image:
                image.draft("RGB", (draft_size, draft_size))  # JPEG: decode at reduced size when the file is large
                return to_rgb(image)
    except UNREADABLE:
        return None


def source_problem(source: Source) -> str | None:
    """Why ``source`` holds no image, from its header only (None when it opens)."""
    if isinstance(source, Unreadable):
        return source.reason
    if isinstance(source, Image.Image):
        return None
    try:
        with Image.open(source):
            return None
    except UnidentifiedImageError:
        return f"not an image: {source[:80]!r}" if isinstance(source, str) else "bytes that are not an image"
    except UNREADABLE as err:
        return f"unreadable ({type(err).__name__}: {str(err)[:80]})"


def read_cell(cell: Any, kind: str, draft_size: int = DRAFT_SIZE, allow_paths: bool = True,
              where: str = "") -> list[Image.Image | None]:
    """Every image in one cell as RGB; an unreadable one becomes None (its slot stays empty).

    With ``allow_paths=False`` (a server) strings are read as base64 only, and an unreadable image raises instead
    of being skipped, so a request never reads the server's files.

    Raises:
        InputError: ``allow_paths=False`` and an image of the cell cannot be read (``where`` names the cell).
    """
    images = []
    for source in image_sources(cell, kind, allow_paths):
        image = open_image(source, draft_size)
        if image is None and not allow_paths:
            why = source.reason if isinstance(source, Unreadable) else "not an image"
            raise InputError(f"{where}: {str(cell)[:40]!r} is not a base64-encoded image ({why}). Send each image "
                             "as base64 of its file's bytes (file paths are not read).")
        images.append(image)
    return images


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
    if (new_width, new_height) == (size, size):  # square: nothing to crop
        return image
    top, left = int(round((new_height - size) / 2.0)), int(round((new_width - size) / 2.0))
    return image.crop((left, top, left + size, top + size))


def normalized(image: Image.Image, mean: Sequence[float] | np.ndarray,
               std: Sequence[float] | np.ndarray) -> np.ndarray:
    """``[3, H, W]`` float32: pixels / 255 (as torchvision scales), minus ``mean``, divided by ``std``.

    Computed in place in one float32 array (the same float32 operations in the same order as on a converted copy,
    so the same values, at a quarter of the time: no temporaries, no arithmetic on a transposed view).
    """
    pixels = np.asarray(image).transpose(2, 0, 1)
    out = np.empty(pixels.shape, np.float32)
    np.multiply(pixels, np.float32(1.0 / 255), out=out, dtype=np.float32)
    out -= np.asarray(mean, np.float32).reshape(3, 1, 1)
    out /= np.asarray(std, np.float32).reshape(3, 1, 1)
    return out


def prediction_pixels(size: int, mean: Sequence[float], std: Sequence[float]) -> Callable[[Image.Image], np.ndarray]:
    """Prediction's transform of one image: ``resize_and_crop`` then ``normalized`` (``mean`` and ``std`` made
    arrays once)."""
    mean32, std32 = np.asarray(mean, np.float32).reshape(3, 1, 1), np.asarray(std, np.float32).reshape(3, 1, 1)
    return lambda image: normalized(resize_and_crop(image, size), mean32, std32)


def pack_slots(rows: Sequence[Sequence[Image.Image]], slots: int, size: int,
               pixels: Callable[[Image.Image], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Pixels ``[rows, slots, 3, size, size]`` float32 (zeros in empty slots) and a bool mask ``[rows, slots]``."""
    out = np.zeros((len(rows), slots, 3, size, size), np.float32)
    mask = np.zeros((len(rows), slots), bool)
    for row, images in enumerate(rows):
        for slot, image in enumerate(images[:slots]):
            out[row, slot], mask[row, slot] = pixels(image), True
    return out, mask


SHOWN_ROWS = 5  # unreadable rows named in a report


def unreadable_rows(cells: Sequence[Sequence[Any]], columns: Sequence[str], kinds: Sequence[str],
                    labels: Sequence[Any], allow_paths: bool = True) -> tuple[list[str], bool]:
    """(one line per row that holds images but none readable, whether any row has a readable image).

    ``cells[c][r]`` is column ``columns[c]``'s cell of the row labelled ``labels[r]``; images are checked from their
    headers only (a file that opens but fails to decode later is still skipped without a report).
    """
    found, any_readable = [], False
    for position, label in enumerate(labels):
        problems = []
        for column, kind, values in zip(columns, kinds, cells):
            problems += [(column, problem) for problem in
                         map(source_problem, image_sources(values[position], kind, allow_paths))]
        if any(problem is None for _, problem in problems):
            any_readable = True
        elif problems:
            column, problem = problems[0]
            found.append(f"row {label!r} (column {column!r}: {problem})")
    return found, any_readable


def check_image_rows(cells: Sequence[Sequence[Any]], columns: Sequence[str], kinds: Sequence[str],
                     labels: Sequence[Any], role: str, allow_paths: bool = True, images_only: bool = True) -> None:
    """Warn about rows whose every image is unreadable; refuse rows of which none has a readable image when the
    images are the predictor's only input (``images_only``: there is nothing else to predict from).

    AutoGluon-MM fills an image it cannot open with zeros (``data.image.missing_value_strategy="zero"``) and says
    so only in a debug log; automm leaves its slot empty (masked: the row is predicted from its other columns, as
    a missing image is) and names the rows in a warning.

    Raises:
        InputError: with ``images_only``, some rows hold images but no row has a readable one (``role``, the
            columns and rows named).
    """
    found, any_readable = unreadable_rows(cells, columns, kinds, labels, allow_paths)
    if not found:
        return
    shown = "; ".join(found[:SHOWN_ROWS]) + (f"; and {len(found) - SHOWN_ROWS} more" if len(found) > SHOWN_ROWS
                                              else "")
    if not any_readable and images_only:
        raise InputError(f"{role}: no row has a readable image in column(s) {list(columns)}: {shown}. An image cell "
                         "may hold a file path, raw bytes, base64 (optionally a data: URI), a PIL image or a "
                         "numpy array; fix the paths (relative ones are read from the working directory) or the "
                         "data.")
    warnings.warn(f"{role}: {len(found)} of {len(labels)} row(s) have no readable image in column(s) "
                  f"{list(columns)}: {shown}. Their image slots stay empty, so they are predicted from their other "
                  "columns only (AutoGluon-MM fills them with zero images). Fix those cells or drop the rows.",
                  UserWarning, stacklevel=3)
