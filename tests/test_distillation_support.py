"""A problem type whose task does not declare distillation refuses teacher_predictor= before training."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from automm.core import MultiModalPredictor
from automm.core.errors import ConfigError
from automm.core.testing.tiny_models import tiny_hyperparameters


def test_matching_student_refuses_a_teacher(iris: pd.DataFrame, tiny_text_model: Path, tmp_path: Path) -> None:
    teacher = MultiModalPredictor(label="label", path=tmp_path / "teacher", verbosity=0,
                                  hyperparameters={"optim.max_epochs": 1, "model.tabular.model": "mlp"}).fit(iris)
    pairs = pd.DataFrame({"question": ["a cat", "a dog", "red food", "blue cat"],
                          "answer": ["the cat", "one dog", "green food", "the dog"], "label": [1, 1, 0, 0]})
    student = MultiModalPredictor(problem_type="text_similarity", query="question", response="answer", label="label",
                                  path=tmp_path / "student", hyperparameters=tiny_hyperparameters(tiny_text_model))
    with pytest.raises(ConfigError, match=r"'text_similarity' does not support distillation .*'binary'"):
        student.fit(pairs, teacher_predictor=teacher)
    assert not (tmp_path / "student").exists()
