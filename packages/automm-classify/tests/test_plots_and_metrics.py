from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from automm.classify import plot_confusion_matrix, plot_residuals
from automm.classify.classification import ClassificationTask
from automm.classify.inference import infer_problem_type
from automm.core import ConfigError, InputError, MultiModalPredictor
from automm.core.testing.tiny_models import tiny_hyperparameters


@pytest.mark.parametrize(("labels", "expected"), [
    ({"y": ["a", "b", "a"]}, "binary"),
    ({"y": [True, False, True]}, "binary"),
    ({"y": [0, 1, 2, 1]}, "multiclass"),
    ({"y": [0.5, 1.25, 3.0]}, "regression"),
    ({"y": list(range(50))}, "regression"),
    ({"a": [0, 1, 1], "b": ["x", "y", "x"]}, "multilabel"),
    ({"a": [0.1, 2.0, 3.5], "b": [1.0, 5.0, 2.0]}, "multi_output_regression"),
])
def test_problem_type_inference(labels: dict, expected: str) -> None:
    assert infer_problem_type(pd.DataFrame(labels)) == expected


def test_one_class_and_mixed_labels_are_refused() -> None:
    with pytest.raises(InputError, match="'y'.*1 distinct"):
        infer_problem_type(pd.DataFrame({"y": ["a", "a"]}))
    with pytest.raises(InputError, match="mix kinds"):
        infer_problem_type(pd.DataFrame({"a": [0.1, 2.0, 3.5], "b": ["x", "y", "z"]}))


def test_classification_scores_match_known_values() -> None:
    task = ClassificationTask.fit(pd.DataFrame({"y": ["cat", "dog", "cat", "dog"]}), "binary")
    logits = np.array([[2.0, 0.0], [0.0, 2.0], [0.0, 2.0], [0.0, 2.0]])
    scores = task.score(logits, task.encode(pd.DataFrame({"y": ["cat", "dog", "cat", "dog"]})))
    assert scores["accuracy"] == 0.75 and scores["roc_auc"] == 0.75
    with pytest.raises(ConfigError, match='Did you mean "accuracy"'):
        task.score(logits, np.array([0, 1, 0, 1]), ["acuracy"])


def test_plots_are_written(iris: pd.DataFrame, tiny_text_model: Path, tmp_path: Path) -> None:
    hp = tiny_hyperparameters(tiny_text_model, **{"optim.max_epochs": 3})
    classifier = MultiModalPredictor(label="label", path=tmp_path / "c", hyperparameters=hp).fit(iris)
    plot_confusion_matrix(classifier, iris, tmp_path / "confusion.png")
    regressor = MultiModalPredictor(label="petal_width", path=tmp_path / "r", hyperparameters=hp).fit(iris)
    plot_residuals(regressor, iris, tmp_path / "residuals.png")
    for name in ("confusion.png", "residuals.png"):
        with Image.open(tmp_path / name) as image:
            assert image.size[0] > 300
    with pytest.raises(ConfigError, match="plot_residuals"):
        plot_confusion_matrix(regressor, iris)
