"""Boxes drawn on an image (torchvision's ``draw_bounding_boxes``), and AutoGluon-MM's detection drawing helpers
``ObjectDetectionVisualizer`` and ``visualize_detection`` (``autogluon.multimodal.utils``) over ``predict``'s table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from automm.core.plugin import read_pixels


def draw_boxes(image: str | Path, boxes: Sequence[Mapping[str, Any]], width: int = 3) -> Image.Image:
    """``image`` with ``boxes`` (``predict``'s ``{"class", "bbox" [x1, y1, x2, y2], "score"}`` dicts) drawn on it."""
    from torchvision.utils import draw_bounding_boxes

    pixels = (read_pixels(image) * 255).round().to(torch.uint8)
    coords = torch.tensor([b["bbox"] for b in boxes], dtype=torch.float32).reshape(-1, 4)
    labels = [f"{b['class']} {b['score']:.2f}" for b in boxes]
    drawn = draw_bounding_boxes(pixels, coords, labels=labels, width=width, colors=_colours(boxes))
    return Image.fromarray(drawn.permute(1, 2, 0).numpy())


class VisImage:
    """A drawn picture, as AutoGluon-MM's ``draw_instance_predictions`` returns it."""

    def __init__(self, picture: Image.Image) -> None:
        self.picture = picture

    def get_image(self) -> np.ndarray:
        """The picture, ``[H, W, 3]`` RGB uint8."""
        return np.asarray(self.picture.convert("RGB"), dtype=np.uint8)

    def save(self, filepath: str | Path) -> None:
        self.picture.save(filepath)


class ObjectDetectionVisualizer:
    """AutoGluon-MM's detection visualizer: one image, its predicted boxes drawn over it.

    Example:
        >>> row = predictor.predict(test_path).iloc[0]
        >>> picture = ObjectDetectionVisualizer(row.image).draw_instance_predictions(row, 0.4).get_image()
    """

    def __init__(self, img_path: str | Path, scale: float = 1.0) -> None:
        self.img_path, self.scale = Path(img_path), scale

    def draw_instance_predictions(self, predictions: Any, conf_threshold: float = 0.4) -> VisImage:
        """Draw the boxes of ``predictions`` (a row of ``predict``'s table) scoring ``>= conf_threshold``."""
        kept = [b for b in predictions["bboxes"] if b["score"] >= conf_threshold]
        picture = draw_boxes(self.img_path, kept)
        if self.scale != 1.0:
            size = (max(1, round(picture.width * self.scale)), max(1, round(picture.height * self.scale)))
            picture = picture.resize(size, Image.Resampling.BILINEAR)
        return VisImage(picture)


def visualize_detection(pred: Any, detection_classes: Sequence[str], conf_threshold: float,
                        visualization_result_dir: str | Path) -> list[np.ndarray]:
    """Draw each row of ``pred`` (``predict``'s table) with its boxes scoring above ``conf_threshold``, save it
    under ``visualization_result_dir`` by its image's file name, and return the pictures (``[H, W, 3]`` RGB).

    ``detection_classes`` (AutoGluon-MM's argument) lists the classes; a box of another class is an error.
    """
    from automm.core.errors import InputError

    folder = Path(visualization_result_dir)
    folder.mkdir(parents=True, exist_ok=True)
    pictures = []
    for image, boxes in zip(pred["image"], pred["bboxes"]):
        unknown = {b["class"] for b in boxes} - set(detection_classes)
        if unknown:
            raise InputError(f"Boxes of {image!r} have class(es) {sorted(unknown)} not in detection_classes "
                             f"{list(detection_classes)[:20]}; pass predictor.classes.")
        picture = draw_boxes(image, [b for b in boxes if b["score"] > conf_threshold])
        picture.save(folder / Path(image).name)
        pictures.append(np.asarray(picture, dtype=np.uint8))
    return pictures


def _colours(boxes: Sequence[Mapping[str, Any]]) -> list[str]:
    palette = ["red", "lime", "blue", "orange", "magenta", "cyan", "yellow", "white"]
    classes = sorted({b["class"] for b in boxes})
    return [palette[classes.index(b["class"]) % len(palette)] for b in boxes]
