"""Core's predictor contract, for labelled text pairs, positive-only text pairs and image pairs."""

from __future__ import annotations

import pandas as pd
import pytest

from automm.core.testing.contract import PredictorContract


class TestLabelledTextPairs(PredictorContract):
    problem_type = "text_similarity"
    label = "label"
    task_arguments = {"query": "question", "response": "answer", "match_label": 1}
    signature = "query"

    @pytest.fixture(scope="class")
    def table(self, text_pairs: pd.DataFrame) -> pd.DataFrame:
        return text_pairs


class TestPositiveTextPairs(PredictorContract):
    problem_type = "text_similarity"
    label = None
    task_arguments = {"query": "question", "response": "answer"}
    signature = "response"

    @pytest.fixture(scope="class")
    def table(self, text_pairs: pd.DataFrame) -> pd.DataFrame:
        return text_pairs[text_pairs["label"] == 1].drop(columns="label").reset_index(drop=True)


class TestImagePairs(PredictorContract):
    problem_type = "image_similarity"
    label = None
    task_arguments = {"query": "left", "response": "right"}
    signature = "query"
    extra_hyperparameters = {"optim.max_epochs": 1}

    @pytest.fixture(scope="class")
    def table(self, image_pairs: pd.DataFrame) -> pd.DataFrame:
        return image_pairs
