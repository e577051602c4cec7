"""Core's predictor contract for object detection (the DataFrame form: image + rois)."""

from __future__ import annotations

import pandas as pd
import pytest

from automm.core.testing.contract import PredictorContract

from .conftest import TINY


class TestDetectionContract(PredictorContract):
    problem_type = "object_detection"
    label = "rois"
    extra_hyperparameters = TINY

    @pytest.fixture(scope="class")
    def table(self, train_table: pd.DataFrame) -> pd.DataFrame:
        return train_table
