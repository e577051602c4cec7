"""Shared fixtures: a tiny text model folder built once per session, and small real tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris

from automm.core.testing.tiny_models import make_tiny_text_model


@pytest.fixture(scope="session")
def tiny_text_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_text_model(tmp_path_factory.mktemp("tiny_text"))


@pytest.fixture(scope="session")
def iris() -> pd.DataFrame:
    data = load_iris(as_frame=True)
    frame = data.frame.rename(columns=lambda c: c.replace(" (cm)", "").replace(" ", "_"))
    frame["label"] = np.asarray(data.target_names)[data.target]
    return frame.drop(columns="target")
