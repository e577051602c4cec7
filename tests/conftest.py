"""Fixtures for cross-package tests: a tiny text model, iris, and a small real mixed table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.datasets import load_digits

from automm.core.testing import fixtures

iris, tiny_text_model = fixtures.iris, fixtures.tiny_text_model


@pytest.fixture(scope="session")
def digits_table(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """Real 8x8 digit images (scikit-learn) as PNG files, with a text and a numeric column.

    Label: is the digit >= 5. The text column names the digit for half the rows; the numeric
    column is the image's mean ink, so every modality carries some signal.
    """
    folder = tmp_path_factory.mktemp("digits")
    digits = load_digits()
    rng = np.random.default_rng(0)
    rows = []
    for i in range(240):
        image = (digits.images[i] * 255 / 16).astype(np.uint8)
        path = folder / f"{i}.png"
        Image.fromarray(image, mode="L").save(path)
        words = ["one two three", "good great big"][int(digits.target[i] >= 5)] if rng.random() < 0.5 else ""
        rows.append({"image": str(path), "caption": words, "ink": float(image.mean()),
                     "label": "high" if digits.target[i] >= 5 else "low"})
    return pd.DataFrame(rows)
