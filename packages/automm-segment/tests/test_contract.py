"""Core's predictor contract for semantic segmentation (image + mask path table)."""

from __future__ import annotations

import pandas as pd
import pytest

from automm.core.testing.contract import PredictorContract

from .conftest import TINY


class TestSegmentationContract(PredictorContract):
    problem_type = "semantic_segmentation"
    label = "label"
    extra_hyperparameters = TINY

    @pytest.fixture(scope="class")
    def table(self, train_table: pd.DataFrame) -> pd.DataFrame:
        return train_table
