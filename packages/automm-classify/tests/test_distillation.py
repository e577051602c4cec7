"""fit(teacher_predictor=...): the student follows the teacher, bad teachers are refused, the student stands alone."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from automm.classify.losses import sigmoid_distillation_loss, softmax_distillation_loss
from automm.classify.regression import RegressionTask
from automm.core import MultiModalPredictor
from automm.core.errors import ConfigError
from automm.core.testing.tiny_models import tiny_hyperparameters

SMALL = {"model.tabular.model": "mlp", "model.tabular.hidden_size": 16, "optim.max_epochs": 8, "optim.batch_size": 16,
         "optim.lr": 3e-3, "optim.top_k": 1,
         "optim.patience": 20}
# A teacher that learned a different rule than the labels: the classes of iris, rotated by one.
ROTATED = {"setosa": "versicolor", "versicolor": "virginica", "virginica": "setosa"}


def _fit(table: pd.DataFrame, path: Path, label: str = "label", teacher: object = None, **extra: object,
         ) -> MultiModalPredictor:
    predictor = MultiModalPredictor(label=label, path=path, hyperparameters={**SMALL, **extra}, verbosity=0)
    return predictor.fit(table, teacher_predictor=teacher, seed=0)


@pytest.fixture(scope="module")
def teacher(iris: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> MultiModalPredictor:
    """A multiclass iris predictor trained on the rotated classes."""
    return _fit(iris.assign(label=iris["label"].map(ROTATED)), tmp_path_factory.mktemp("distill") / "teacher")


def test_soft_labels_pull_the_student_towards_the_teacher(iris: pd.DataFrame, teacher: MultiModalPredictor,
                                                         tmp_path: Path) -> None:
    taught = teacher.predict(iris)
    plain = _fit(iris, tmp_path / "plain")
    student = _fit(iris, tmp_path / "student", teacher=teacher, **{"distiller.soft_label_weight": 20.0})
    agree_plain = float((plain.predict(iris) == taught).mean())
    agree_student = float((student.predict(iris) == taught).mean())
    assert agree_student > agree_plain + 0.3, (agree_plain, agree_student)


def test_student_saves_loads_without_the_teacher(iris: pd.DataFrame, tmp_path: Path) -> None:
    teacher = _fit(iris, tmp_path / "teacher", **{"optim.max_epochs": 2})
    student = _fit(iris, tmp_path / "student", teacher=str(tmp_path / "teacher"), **{"optim.max_epochs": 2})
    shutil.rmtree(tmp_path / "teacher")
    loaded = MultiModalPredictor.load(tmp_path / "student", verbosity=0)
    np.testing.assert_allclose(loaded.predict_proba(iris).to_numpy(), student.predict_proba(iris).to_numpy(),
                               atol=1e-5)
    record = loaded.fit_summary["distillation"]
    assert record["teacher_path"] == str(tmp_path / "teacher")
    assert record["temperature"] == 5.0 and record["objectives"] == ["soft_label", "output_feature"]
    assert "distillation" not in teacher.fit_summary


def test_regression_student_learns_from_a_regression_teacher(iris: pd.DataFrame, tmp_path: Path) -> None:
    teacher = _fit(iris, tmp_path / "teacher", label="petal_width", **{"optim.max_epochs": 2})
    student = _fit(iris, tmp_path / "student", label="petal_width", teacher=teacher,
                   **{"optim.max_epochs": 2, "distiller.output_feature_loss_weight": 0.0})
    assert student.fit_summary["distillation"]["objectives"] == ["soft_label"]


def test_unfitted_teacher_is_refused(iris: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="teacher_predictor is not fitted"):
        _fit(iris, tmp_path / "s", teacher=MultiModalPredictor(label="label"))


def test_missing_teacher_path_is_refused(iris: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="could not be loaded"):
        _fit(iris, tmp_path / "s", teacher=tmp_path / "nowhere")


def test_teacher_of_another_type_is_refused(iris: pd.DataFrame, teacher: MultiModalPredictor, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="teacher_predictor must be a fitted MultiModalPredictor"):
        _fit(iris, tmp_path / "s", teacher=42)


def test_teacher_of_another_problem_type_is_refused(iris: pd.DataFrame, teacher: MultiModalPredictor,
                                                    tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'multiclass' predictor, but this one is 'regression'"):
        _fit(iris, tmp_path / "s", label="petal_width", teacher=teacher)


def test_teacher_of_other_label_columns_is_refused(iris: pd.DataFrame, teacher: MultiModalPredictor,
                                                   tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"predicts label column\(s\) \['label'\], this predictor \['species'\]"):
        _fit(iris.rename(columns={"label": "species"}), tmp_path / "s", label="species", teacher=teacher)


def test_teacher_of_other_classes_is_refused(iris: pd.DataFrame, teacher: MultiModalPredictor, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="teacher's classes"):
        _fit(iris.assign(label=iris["label"].str.upper()), tmp_path / "s", teacher=teacher)


def test_refused_teacher_leaves_nothing_on_disk(iris: pd.DataFrame, teacher: MultiModalPredictor,
                                                tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        _fit(iris.assign(label=iris["label"].str.upper()), tmp_path / "s", teacher=teacher)
    assert not (tmp_path / "s").exists()


def test_distiller_settings_are_validated() -> None:
    with pytest.raises(ConfigError, match="'distiller.temperature' must be > 0"):
        MultiModalPredictor(label="label", hyperparameters={"distiller.temperature": 0}).fit(
            pd.DataFrame({"x": [1, 2], "label": ["a", "b"]}))


def test_softmax_distillation_loss_is_zero_at_the_teacher_and_scaled_by_t_squared() -> None:
    logits = torch.tensor([[2.0, -1.0, 0.5], [0.0, 1.0, -2.0]])
    assert softmax_distillation_loss(logits, logits, 4.0).item() == pytest.approx(0.0, abs=1e-6)
    other = torch.tensor([[-1.0, 2.0, 0.0], [1.0, 0.0, 0.0]])
    loss = softmax_distillation_loss(logits, other, 2.0)
    expected = torch.nn.functional.kl_div((logits / 2).log_softmax(-1), (other / 2).softmax(-1),
                                          reduction="batchmean") * 4
    assert loss.item() == pytest.approx(expected.item()) and loss.item() > 0


def test_sigmoid_distillation_loss_is_least_at_the_teacher() -> None:
    teacher = torch.tensor([[1.0, -2.0]])
    at_teacher = sigmoid_distillation_loss(teacher, teacher, 2.0)
    assert sigmoid_distillation_loss(teacher + 1.0, teacher, 2.0) > at_teacher
    assert sigmoid_distillation_loss(teacher - 1.0, teacher, 2.0) > at_teacher


def test_regression_soft_targets_convert_between_the_two_scalings() -> None:
    teacher = RegressionTask("regression", ["y"], means=[10.0], stds=[2.0])
    student = RegressionTask("regression", ["y"], means=[12.0], stds=[4.0])
    # teacher output 1.0 means y = 12, which is the student's mean: 0.0 in its scaling
    np.testing.assert_allclose(student.soft_targets(teacher, np.array([[1.0], [3.0]])), [[0.0], [1.0]])


def test_text_student_with_fewer_layers_distils_saves_and_loads(tiny_text_model: Path, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    words = {"yes": ["good", "great", "love"], "no": ["bad", "terrible", "hate"]}
    labels = rng.choice(["yes", "no"], size=48)
    table = pd.DataFrame({"review": [" ".join(rng.choice(words[y], 3)) + " food" for y in labels], "label": labels})
    settings = tiny_hyperparameters(tiny_text_model, **{"optim.max_epochs": 1, "optim.top_k": 1})
    teacher = MultiModalPredictor(label="label", path=tmp_path / "teacher", hyperparameters=settings, verbosity=0)
    teacher.fit(table)
    student = MultiModalPredictor(label="label", path=tmp_path / "student", verbosity=0,
                                  hyperparameters={**settings, "model.text.num_layers": 1})
    student.fit(table, teacher_predictor=teacher)
    assert student.fit_summary["distillation"]["objectives"] == ["soft_label", "output_feature"]
    loaded = MultiModalPredictor.load(tmp_path / "student", verbosity=0)
    assert len(loaded.state.net.encoders["text"].backbone.encoder.layer) == 1
    np.testing.assert_allclose(loaded.predict_proba(table).to_numpy(), student.predict_proba(table).to_numpy(),
                               atol=1e-5)
