"""Segmentation colours, and AutoGluon-MM's ``SemanticSegmentationVisualizer`` (``autogluon.multimodal.utils``):
an image, then a predicted mask drawn over it, with matplotlib."""

from __future__ import annotations

import colorsys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image


def class_colours(count: int) -> np.ndarray:
    """``[count, 3]`` uint8: class 0 (background) black, then saturated hues spaced by the golden ratio."""
    colours = np.zeros((count, 3), dtype=np.uint8)
    for index in range(1, count):
        hue = (index * 0.618033988749895) % 1.0
        colours[index] = np.round(255 * np.array(colorsys.hsv_to_rgb(hue, 0.9, 1.0)))
    return colours


class SemanticSegmentationVisualizer:
    """AutoGluon-MM's segmentation visualizer: an image, then a predicted mask drawn over it, with matplotlib.

    Example:
        >>> visualizer = SemanticSegmentationVisualizer()
        >>> visualizer.plot_image(test_data["image"].iloc[0])
        >>> visualizer.plot_mask(predictor.predict({"image": [test_data["image"].iloc[0]]}))
    """

    def plot_image(self, img_path: str | Path) -> None:
        """Show the image (or a mask file) on the current matplotlib axes."""
        plt = _pyplot()

        with Image.open(img_path) as image:
            plt.imshow(np.asarray(image))

    def plot_mask(self, pred: Any, output_path: str | Path | None = None) -> None:
        """Draw each foreground class of one image's mask in a translucent colour on the current axes, save the
        figure to ``output_path`` if given, and show it.

        ``pred`` is one ``[H, W]`` mask (or ``[1, H, W]``), or ``predict``'s output for one image.
        """
        plt = _pyplot()

        mask = _one_mask(pred)
        colours = class_colours(int(mask.max()) + 1)
        overlay = np.zeros((*mask.shape, 4), dtype=np.float32)
        overlay[..., :3] = colours[mask] / 255.0
        overlay[..., 3] = np.where(mask > 0, 0.6, 0.0)
        plt.imshow(overlay)
        if output_path is not None:
            plt.savefig(output_path)
        plt.show()


def _one_mask(pred: Any) -> np.ndarray:
    """One image's ``[H, W]`` integer mask from a mask, a ``[1, H, W]`` array or a one-row prediction."""
    from automm.core.errors import InputError

    if isinstance(pred, np.ndarray) and pred.dtype == object:  # predict()'s masks as numpy (dict input)
        pred = list(pred)
    if isinstance(pred, (pd.Series, list, tuple)):
        if len(pred) != 1:
            raise InputError(f"plot_mask draws one image's mask; got {len(pred)}. Pass one, e.g. pred.iloc[0].")
        pred = pred.iloc[0] if isinstance(pred, pd.Series) else pred[0]
    mask = np.asarray(pred)
    mask = mask[0] if mask.ndim == 3 and mask.shape[0] == 1 else mask
    if mask.ndim != 2:
        raise InputError(f"plot_mask needs an [H, W] mask, got an array of shape {mask.shape}.")
    return mask.astype(np.int64)


def _pyplot() -> Any:
    """matplotlib's pyplot, or an ImportError naming the extra that installs it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ImportError("SemanticSegmentationVisualizer draws with matplotlib: pip install 'automm-segment[plot]'"
                          ) from err
    return plt
