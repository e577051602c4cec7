"""Composited images with exact masks: real objects (digit glyphs, Fashion-MNIST items) pasted onto real photos.

No annotated detection or segmentation set exists offline, so tests and benchmarks build them: each object
is upscaled, coloured and pasted with a hard mask onto a random crop of a bundled ``skimage.data`` photo, so
its box (the tight box of its mask) and its mask are exact. Objects never share a pixel and overlap by
IoU <= 0.1. Task packages write these samples in their own formats (COCO JSON, mask PNGs).
"""

from __future__ import annotations

import colorsys
import functools
import gzip
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
FASHION_NAMES = ("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot")
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
# All bundled with scikit-image (no pooch download); names that fail to load are skipped.
BACKGROUNDS = {
    "textures": ("brick", "grass", "gravel"),
    "photos": ("astronaut", "camera", "chelsea", "coffee", "coins", "moon", "rocket", "hubble_deep_field"),
}
BACKGROUNDS["all"] = BACKGROUNDS["textures"] + BACKGROUNDS["photos"]
_THRESHOLD = {"digits": 0.3, "fashion_mnist": 0.1}  # glyph intensity in [0, 1] above which a pixel is object


@dataclass(frozen=True)
class CompositedSample:
    """One composited image: ``image`` ``[H, W, 3]`` uint8, ``masks`` ``[n, H, W]`` bool, ``labels`` 0-based."""

    image: np.ndarray
    masks: np.ndarray
    labels: tuple[int, ...]

    @property
    def boxes(self) -> np.ndarray:
        """``[n, 4]`` xyxy boxes in pixel-edge coordinates: the tight box of each mask (``x2`` exclusive)."""
        out = np.zeros((len(self.masks), 4), dtype=np.int64)
        for i, mask in enumerate(self.masks):
            ys, xs = np.nonzero(mask)
            out[i] = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
        return out


def _chosen_classes(objects: str, classes: Sequence[int] | None) -> list[int]:
    names = {"digits": DIGIT_NAMES, "fashion_mnist": FASHION_NAMES}.get(objects)
    if names is None:
        raise ValueError(f"objects={objects!r}: expected 'digits' or 'fashion_mnist'")
    keep = sorted(set(range(len(names)) if classes is None else classes))
    if not keep or not all(0 <= c < len(names) for c in keep):
        raise ValueError(f"classes={classes!r}: pick a non-empty subset of 0..{len(names) - 1} for {objects!r}")
    return keep


def class_names(objects: str = "digits", classes: Sequence[int] | None = None) -> tuple[str, ...]:
    """Names of the classes ``iter_composited`` labels ``0..K-1`` (``classes`` sorted, or all ten)."""
    names = DIGIT_NAMES if objects == "digits" else FASHION_NAMES
    return tuple(names[c] for c in _chosen_classes(objects, classes))


@functools.lru_cache(maxsize=2)
def _read_fashion(fashion_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    paths = [fashion_dir / "train-images-idx3-ubyte.gz", fashion_dir / "train-labels-idx1-ubyte.gz"]
    if not all(p.is_file() for p in paths):
        raise FileNotFoundError(
            f"Fashion-MNIST not found in {fashion_dir} (need {paths[0].name} and {paths[1].name}): "
            "run `apt-get install dataset-fashion-mnist`, or pass fashion_dir= pointing at those files"
        )
    with gzip.open(paths[0]) as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(paths[1]) as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    return images, labels


def _load_objects(
    objects: str, classes: Sequence[int] | None, fashion_dir: str | Path
) -> tuple[np.ndarray, np.ndarray]:
    """Glyphs ``[N, h, w]`` uint8 and labels ``0..K-1`` for the chosen classes."""
    keep = _chosen_classes(objects, classes)
    if objects == "digits":
        from sklearn.datasets import load_digits

        digits = load_digits()
        glyphs, labels = np.round(digits.images * (255 / 16)).astype(np.uint8), digits.target
    else:
        glyphs, labels = _read_fashion(Path(fashion_dir).resolve())
    chosen = np.isin(labels, keep)
    return glyphs[chosen], np.searchsorted(keep, labels[chosen])


def _load_backgrounds(background: str | Sequence[str]) -> list[np.ndarray]:
    from skimage import data, util

    names = BACKGROUNDS.get(background, (background,)) if isinstance(background, str) else tuple(background)
    out = []
    for name in names:
        try:
            img = util.img_as_ubyte(getattr(data, name)())
        except Exception:  # not in this scikit-image, or it needs a download (pooch): skip it
            continue
        out.append(np.stack([img] * 3, axis=-1) if img.ndim == 2 else img[..., :3])
    if not out:
        raise ValueError(f"background={background!r}: none of {names} loads offline; try one of {sorted(BACKGROUNDS)}")
    return out


def _crop(background: np.ndarray, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A random crop (50-100% of the largest one with the output's aspect) resized to ``size`` (w, h)."""
    height, width = background.shape[:2]
    scale = rng.uniform(0.5, 1.0) * min(height / size[1], width / size[0])
    ch, cw = max(1, int(size[1] * scale)), max(1, int(size[0] * scale))
    y, x = rng.integers(0, height - ch + 1), rng.integers(0, width - cw + 1)
    crop = Image.fromarray(background[y : y + ch, x : x + cw]).resize(size, Image.Resampling.BILINEAR)
    return np.asarray(crop, dtype=np.float32)


def _render(
    glyph: np.ndarray, side: int, threshold: float, fill: bool, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray] | None:
    """The object at ``side`` px, cropped to its mask: (mask ``[h, w]`` bool, colour ``[h, w, 3]`` float)."""
    g = np.asarray(Image.fromarray(glyph).resize((side, side), Image.Resampling.BILINEAR), np.float32) / 255
    mask = g > threshold
    if fill:
        from scipy.ndimage import binary_fill_holes

        mask = binary_fill_holes(mask)
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        return None
    box = np.s_[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    colour = 255 * np.array(colorsys.hsv_to_rgb(rng.random(), rng.uniform(0.6, 1.0), rng.uniform(0.7, 1.0)))
    return mask[box], colour * (0.4 + 0.6 * g[box])[..., None]


def _iou(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    inter = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union


def iter_composited(
    num_images: int,
    objects: str = "digits",
    *,
    image_size: tuple[int, int] = (160, 160),
    object_size: tuple[int, int] = (20, 56),
    min_objects: int = 1,
    max_objects: int = 4,
    empty_fraction: float = 0.0,
    classes: Sequence[int] | None = None,
    background: str | Sequence[str] = "textures",
    fashion_dir: str | Path = FASHION_DIR,
    seed: int = 0,
) -> Iterator[CompositedSample]:
    """Yield composited images with exact masks; labels index ``class_names(objects, classes)``.

    ``image_size`` is (width, height); ``object_size`` bounds an object's side before it is cropped to
    its mask. A placement overlapping an earlier object (a shared pixel, or box IoU > 0.1) is retried up
    to 10 times, then the object is dropped, so an image can hold fewer than ``min_objects``.
    """
    if not 0 <= min_objects <= max_objects:
        raise ValueError(f"need 0 <= min_objects <= max_objects, got {min_objects} and {max_objects}")
    glyphs, labels = _load_objects(objects, classes, fashion_dir)
    backgrounds = _load_backgrounds(background)
    width, height = image_size
    sides = (min(object_size[0], width, height), min(object_size[1], width, height))
    for image_index in range(num_images):
        rng = np.random.default_rng((seed, image_index))  # image i's background depends on (seed, i) only
        image = _crop(backgrounds[rng.integers(len(backgrounds))], image_size, rng)
        wanted = 0 if rng.random() < empty_fraction else int(rng.integers(min_objects, max_objects + 1))
        masks, found, boxes = [], [], []
        for _ in range(wanted):
            index = int(rng.integers(len(glyphs)))
            side = int(rng.integers(sides[0], sides[1] + 1))
            rendered = _render(glyphs[index], side, _THRESHOLD[objects], objects == "fashion_mnist", rng)
            if rendered is None:
                continue
            mask, colour = rendered
            h, w = mask.shape
            for _ in range(10):
                x, y = int(rng.integers(0, width - w + 1)), int(rng.integers(0, height - h + 1))
                box = (x, y, x + w, y + h)
                full = np.zeros((height, width), dtype=bool)
                full[y : y + h, x : x + w] = mask
                if all(_iou(box, b) <= 0.1 for b in boxes) and not any((full & m).any() for m in masks):
                    image[full] = colour[mask]
                    masks.append(full)
                    found.append(int(labels[index]))
                    boxes.append(box)
                    break
        stacked = np.stack(masks) if masks else np.zeros((0, height, width), dtype=bool)
        yield CompositedSample(np.clip(np.round(image), 0, 255).astype(np.uint8), stacked, tuple(found))
