"""Fixtures for the robustness tests (tiny_text_model and digits_table come from tests/conftest.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris


@pytest.fixture(scope="session")
def iris() -> pd.DataFrame:
    """scikit-learn's iris: four numeric columns and a string label; fits in about a second."""
    data = load_iris(as_frame=True)
    frame = data.frame.rename(columns=lambda c: c.replace(" (cm)", "").replace(" ", "_"))
    frame["label"] = np.asarray(data.target_names)[data.target]
    return frame.drop(columns="target")
