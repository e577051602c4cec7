"""automm-classify passes core's predictor contract for each problem type."""

from __future__ import annotations

import pandas as pd
import pytest

from automm.core.testing.contract import PredictorContract
from automm.core.testing.fixtures import iris_table


class TestMulticlassContract(PredictorContract):
    problem_type = "multiclass"

    @pytest.fixture(scope="class")
    def table(self) -> pd.DataFrame:
        return iris_table()


class TestRegressionContract(PredictorContract):
    problem_type = "regression"
    label = "petal_width"

    @pytest.fixture(scope="class")
    def table(self) -> pd.DataFrame:
        return iris_table()


class TestMultilabelContract(PredictorContract):
    problem_type = "multilabel"
    label = ["is_setosa", "is_wide"]

    @pytest.fixture(scope="class")
    def table(self) -> pd.DataFrame:
        frame = iris_table()
        frame["is_setosa"] = (frame.pop("label") == "setosa").astype(int)
        frame["is_wide"] = (frame["sepal_width"] > 3.0).astype(int)
        return frame
