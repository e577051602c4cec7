"""Boxes drawn on an image, with class names and scores: ``visualize`` predicts and draws in one call (the drawing
is ``visualizer.draw_boxes``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image

from .visualizer import draw_boxes


def visualize(predictor: Any, image: str | Path, output: str | Path | None = None, min_score: float = 0.3,
              width: int = 3) -> Image.Image:
    """Detect objects in ``image`` and draw every box scoring ``>= min_score``; saved to ``output`` if given.

    Example:
        >>> automm.detect.visualize(predictor, "street.jpg", "street_boxes.png")
    """
    import pandas as pd

    found = predictor.predict(pd.DataFrame({"image": [str(image)]}))["bboxes"].iloc[0]
    picture = draw_boxes(image, [b for b in found if b["score"] >= min_score], width)
    if output is not None:
        picture.save(output)
    return picture
