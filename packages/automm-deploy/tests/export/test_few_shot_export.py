"""A few-shot classifier (frozen embeddings + SVM head) exported and run torch-free gives the torch answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from automm.core import MultiModalPredictor
from automm.core.testing.tiny_models import tiny_hyperparameters
from automm.deploy import export, load


def test_few_shot_runtime_equals_the_torch_predictor(table: pd.DataFrame, tiny_text_model: Path,
                                                     tmp_path: Path) -> None:
    columns = ["image", "caption", "digit"]  # three classes; some images and captions missing
    predictor = MultiModalPredictor(label="digit", problem_type="few_shot_classification", path=tmp_path / "p",
                                    hyperparameters=tiny_hyperparameters(tiny_text_model))
    predictor.fit(table[columns].iloc[:30], seed=0)
    model = load(export(predictor.path, tmp_path / "onnx"))
    rows = table[columns[:2]].iloc[100:]
    assert (np.asarray(model.predict(rows)) == np.asarray(predictor.predict(rows))).all()
    np.testing.assert_allclose(model.predict_proba(rows).to_numpy(), predictor.predict_proba(rows).to_numpy(),
                               atol=1e-4, rtol=0)
    np.testing.assert_allclose(model.extract_embedding(rows), predictor.extract_embedding(rows), atol=1e-4, rtol=0)
