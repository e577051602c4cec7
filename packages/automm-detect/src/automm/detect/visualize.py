"""Boxes drawn on an image, with class names and scores (torchvision's ``draw_bounding_boxes``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from PIL import Image

from automm.core.plugin import read_pixels


def visualize(predictor: Any, image: str | Path, output: str | Path | None = None, min_score: float = 0.3,
              width: int = 3) -> Image.Image:
    """Detect objects in ``image`` and draw every box scoring ``>= min_score``; saved to ``output`` if given.

    Example:
        >>> automm.detect.visualize(predictor, "street.jpg", "street_boxes.png")
    """
    import pandas as pd
    from torchvision.utils import draw_bounding_boxes

    found = predictor.predict(pd.DataFrame({"image": [str(image)]}))["bboxes"].iloc[0]
    kept = [b for b in found if b["score"] >= min_score]
    pixels = (read_pixels(image) * 255).round().to(torch.uint8)
    boxes = torch.tensor([b["bbox"] for b in kept], dtype=torch.float32).reshape(-1, 4)
    labels = [f"{b['class']} {b['score']:.2f}" for b in kept]
    drawn = draw_bounding_boxes(pixels, boxes, labels=labels, width=width, colors=_colours(kept))
    picture = Image.fromarray(drawn.permute(1, 2, 0).numpy())
    if output is not None:
        picture.save(output)
    return picture


def _colours(boxes: list[dict[str, Any]]) -> list[str]:
    palette = ["red", "lime", "blue", "orange", "magenta", "cyan", "yellow", "white"]
    classes = sorted({b["class"] for b in boxes})
    return [palette[classes.index(b["class"]) % len(palette)] for b in boxes]
