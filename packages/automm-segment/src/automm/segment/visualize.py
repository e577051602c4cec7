"""Predicted masks drawn over their image: each class a colour, blended with the photo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

from automm.core.plugin import read_pixels

from .visualizer import class_colours


def visualize(predictor: Any, image: str | Path, output: str | Path, alpha: float = 0.5) -> Path:
    """Predict ``image``'s mask with ``predictor`` and save the image with the mask blended over it.

    Example:
        >>> automm.segment.visualize(predictor, "street.jpg", "street_mask.png")
    """
    mask = predictor.predict(pd.DataFrame({"image": [str(image)]})).iloc[0]
    pixels = (read_pixels(image).permute(1, 2, 0).numpy() * 255).round()
    colours = class_colours(int(predictor.state.task.codec.num_classes))[mask].astype(np.float32)
    blended = np.where(mask[..., None] > 0, (1 - alpha) * pixels + alpha * colours, pixels)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(blended.clip(0, 255).astype(np.uint8)).save(output)
    return output
