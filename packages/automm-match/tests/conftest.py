"""Fixtures: tiny text and CLIP models built from configs, and small pair tables (text and images)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from automm.core.testing import fixtures
from automm.core.testing.tiny_models import make_tiny_clip_model

tiny_text_model = fixtures.tiny_text_model

KEYS = ["cat", "dog", "red", "blue", "green", "big", "small", "one", "two", "three", "food", "product"]
FILLERS = ["the", "a", "is", "was", "very", "and", "this", "that", "it", "of"]
COLOURS = {"red": (200, 30, 30), "green": (30, 180, 40), "blue": (30, 40, 200), "yellow": (220, 210, 30)}


@pytest.fixture(scope="session")
def tiny_clip_model(tmp_path_factory: pytest.TempPathFactory, tiny_text_model: Path) -> Path:
    """A 2-layer CLIP (text + ViT) with the tiny BERT tokenizer, saved like a hub CLIP folder."""
    return make_tiny_clip_model(tmp_path_factory.mktemp("tiny_clip"), tiny_text_model)


def _sentence(rng: np.random.Generator, key: str) -> str:
    words = [*rng.choice(FILLERS, 3), key]
    return " ".join(rng.permutation(words))


@pytest.fixture(scope="session")
def text_pairs() -> pd.DataFrame:
    """Labelled pairs: a pair matches when both sentences name the same key word."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(96):
        key = KEYS[i % len(KEYS)]
        other = KEYS[(i + 1 + rng.integers(len(KEYS) - 1)) % len(KEYS)]
        query = _sentence(rng, key)
        rows.append({"question": query, "answer": _sentence(rng, key), "label": 1})
        rows.append({"question": query, "answer": _sentence(rng, other), "label": 0})
    return pd.DataFrame(rows)


@pytest.fixture(scope="session")
def colour_images(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """Noisy solid-colour PNGs on disk: path and colour name, 8 per colour."""
    folder = tmp_path_factory.mktemp("colours")
    rng = np.random.default_rng(0)
    rows = []
    for name, rgb in COLOURS.items():
        for i in range(8):
            pixels = np.clip(np.array(rgb) + rng.normal(0, 25, (40, 40, 3)), 0, 255).astype(np.uint8)
            path = folder / f"{name}_{i}.png"
            Image.fromarray(pixels).save(path)
            rows.append({"image": str(path), "colour": name})
    return pd.DataFrame(rows)


@pytest.fixture(scope="session")
def image_pairs(colour_images: pd.DataFrame) -> pd.DataFrame:
    """Positive pairs of two different images of the same colour."""
    rows = []
    for _, group in colour_images.groupby("colour"):
        paths = group["image"].tolist()
        rows += [{"left": a, "right": b} for a, b in zip(paths, paths[1:] + paths[:1])]
    return pd.DataFrame(rows)
