"""Session fixtures every package's tests share. A ``conftest.py`` names the ones it uses::

    from automm.core.testing import fixtures

    iris, tiny_text_model = fixtures.iris, fixtures.tiny_text_model
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from .tiny_models import make_tiny_text_model


def iris_table() -> pd.DataFrame:
    """scikit-learn's iris (needs scikit-learn): four numeric columns (``sepal_length``, ...) and a string ``label``;
    a tabular fit takes about a second."""
    from sklearn.datasets import load_iris

    data = load_iris(as_frame=True)
    frame = data.frame.rename(columns=lambda c: c.replace(" (cm)", "").replace(" ", "_"))
    frame["label"] = np.asarray(data.target_names)[data.target]
    return frame.drop(columns="target")


@pytest.fixture(scope="session")
def iris() -> pd.DataFrame:
    """:func:`iris_table`, built once per session (tests must not change it)."""
    return iris_table()


@pytest.fixture(scope="session")
def tiny_text_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a 2-layer BERT and its tokenizer (see ``make_tiny_text_model``), built once per session."""
    return make_tiny_text_model(tmp_path_factory.mktemp("tiny_text"))
