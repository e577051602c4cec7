"""automm-classify passes core's predictor contract for each problem type."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris

from automm.core.testing.contract import PredictorContract


def _iris() -> pd.DataFrame:
    data = load_iris(as_frame=True)
    frame = data.frame.rename(columns=lambda c: c.replace(" (cm)", "").replace(" ", "_"))
    frame["label"] = np.asarray(data.target_names)[data.target]
    return frame.drop(columns="target")


class TestMulticlassContract(PredictorContract):
    problem_type = "multiclass"

    @pytest.fixture(scope="class")
    def table(self) -> pd.DataFrame:
        return _iris()


class TestRegressionContract(PredictorContract):
    problem_type = "regression"
    label = "petal_width"

    @pytest.fixture(scope="class")
    def table(self) -> pd.DataFrame:
        return _iris()


class TestMultilabelContract(PredictorContract):
    problem_type = "multilabel"
    label = ["is_setosa", "is_wide"]

    @pytest.fixture(scope="class")
    def table(self) -> pd.DataFrame:
        frame = _iris()
        frame["is_setosa"] = (frame.pop("label") == "setosa").astype(int)
        frame["is_wide"] = (frame["sepal_width"] > 3.0).astype(int)
        return frame
