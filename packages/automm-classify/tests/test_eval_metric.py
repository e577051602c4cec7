"""eval_metric= and validation_metric= as AutoGluon-MM means them: what fits track, what evaluate() reports, what a
saved predictor keeps; AutoGluon's metric names and the metrics behind them."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automm.classify.classification import ClassificationTask
from automm.classify.regression import RegressionTask
from automm.core import ConfigError, MultiModalPredictor
from automm.core.testing.tiny_models import tiny_hyperparameters


@pytest.fixture(scope="module")
def hp(tiny_text_model: Path) -> dict:
    return tiny_hyperparameters(tiny_text_model, **{"optim.max_epochs": 2})


def test_eval_metric_is_what_the_fit_tracks_and_evaluate_reports_first(iris: pd.DataFrame, hp: dict,
                                                                         tmp_path: Path) -> None:
    predictor = MultiModalPredictor(label="label", eval_metric="nll", path=tmp_path / "p", hyperparameters=hp)
    predictor.fit(iris)
    summary = predictor.fit_summary
    assert (summary["eval_metric"], summary["validation_metric"]) == ("log_loss", "log_loss")
    scores = predictor.evaluate(iris)
    assert list(scores)[0] == "log_loss" and {"accuracy", "f1_macro"} <= set(scores)
    assert summary["best_val_score"] > 0.1  # a log loss, not an accuracy of 1.0
    loaded = MultiModalPredictor.load(tmp_path / "p")
    assert loaded.eval_metric == "log_loss" and list(loaded.evaluate(iris))[0] == "log_loss"
    assert loaded.fit_summary["metric_choice"] == {"eval_metric": "log_loss", "validation_metric": None}


def test_validation_metric_overrides_eval_metric_for_the_fit_only(iris: pd.DataFrame, hp: dict,
                                                                 tmp_path: Path) -> None:
    predictor = MultiModalPredictor(label="label", eval_metric="nll", validation_metric="ACC",
                                    path=tmp_path / "p", hyperparameters=hp)
    predictor.fit(iris)
    assert predictor.fit_summary["validation_metric"] == "accuracy"
    assert predictor.fit_summary["eval_metric"] == "log_loss"
    assert list(predictor.evaluate(iris))[0] == "log_loss"
    saved = json.loads((tmp_path / "p" / "predictor.json").read_text())
    assert saved["fit_info"]["metric_choice"] == {"eval_metric": "log_loss", "validation_metric": "accuracy"}
    assert MultiModalPredictor.load(tmp_path / "p").validation_metric == "accuracy"


def test_evaluate_takes_autogluon_names_and_keys_them_as_spelled(iris: pd.DataFrame, hp: dict,
                                                                 tmp_path: Path) -> None:
    predictor = MultiModalPredictor(label="label", path=tmp_path / "p", hyperparameters=hp).fit(iris)
    scores = predictor.evaluate(iris, metrics=["acc", "MCC", "f1_micro", "quadratic_kappa", "precision_macro"])
    assert list(scores) == ["acc", "MCC", "f1_micro", "quadratic_kappa", "precision_macro"]
    assert scores["acc"] == pytest.approx(predictor.evaluate(iris, metrics="accuracy")["accuracy"])
    assert predictor.fit_summary["validation_metric"] == "accuracy"  # no eval_metric: the task's default
    with pytest.raises(ConfigError, match="metrics='rmse' does not apply to problem_type 'multiclass'"):
        predictor.evaluate(iris, metrics=["rmse"])


def test_a_metric_of_another_problem_type_is_refused_before_fitting(iris: pd.DataFrame, hp: dict,
                                                                    tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="eval_metric='rmse' does not apply to problem_type 'binary'"):
        MultiModalPredictor(label="y", problem_type="binary", eval_metric="rmse")
    predictor = MultiModalPredictor(label="label", problem_type="classification", eval_metric="mae",
                                    path=tmp_path / "p", hyperparameters=hp)
    with pytest.raises(ConfigError, match="eval_metric='mae' does not apply to problem_type 'multiclass'"):
        predictor.fit(iris)  # "classification" is binary or multiclass: checked once the labels say which
    assert MultiModalPredictor(label="label", eval_metric="r2").problem_type == "regression"  # as AutoGluon-MM
    assert not (tmp_path / "p").exists()


def test_roc_auc_on_a_one_class_validation_split_falls_back_to_accuracy(iris: pd.DataFrame, hp: dict,
                                                                        tmp_path: Path, caplog) -> None:
    two = iris[iris["label"] != "virginica"]
    predictor = MultiModalPredictor(label="label", eval_metric="roc_auc", path=tmp_path / "p", hyperparameters=hp)
    with caplog.at_level(logging.WARNING, logger="automm"):
        predictor.fit(two, tuning_data=two[two["label"] == "setosa"])
    assert predictor.fit_summary["validation_metric"] == "accuracy"
    assert "roc_auc needs 2 classes among the rows, found 1" in caplog.text


def test_regression_reports_correlations_and_tracks_the_chosen_direction(iris: pd.DataFrame, hp: dict,
                                                                         tmp_path: Path) -> None:
    predictor = MultiModalPredictor(label="petal_width", eval_metric="spearmanr", path=tmp_path / "p",
                                    hyperparameters=hp).fit(iris)
    assert predictor.fit_summary["validation_metric"] == "spearmanr"
    scores = predictor.evaluate(iris, metrics=["rmse", "pearsonr", "spearmanr", "mse", "root_mean_squared_error"])
    assert all(math.isfinite(v) for v in scores.values())
    assert scores["mse"] == pytest.approx(scores["rmse"] ** 2, rel=1e-5)
    assert scores["root_mean_squared_error"] == scores["rmse"]


def test_the_new_classification_metrics_match_scikit_learn() -> None:
    from sklearn import metrics

    labels = pd.DataFrame({"y": ["a", "b", "c", "a", "b", "c", "a", "a"]})
    task = ClassificationTask.fit(labels, "multiclass")
    logits = np.random.default_rng(0).normal(size=(8, 3))
    truth, predicted = task.encode(labels), logits.argmax(axis=1)
    scores = task.score(logits, truth, ["mcc", "quadratic_kappa", "recall_weighted", "average_precision"])
    assert scores["mcc"] == pytest.approx(metrics.matthews_corrcoef(truth, predicted))
    assert scores["quadratic_kappa"] == pytest.approx(metrics.cohen_kappa_score(truth, predicted,
                                                                                weights="quadratic"))
    assert scores["recall_weighted"] == pytest.approx(metrics.recall_score(truth, predicted, average="weighted"))
    assert 0 <= scores["average_precision"] <= 1
    assert task.validation_fallback("roc_auc", np.array([0, 1, 1])) == (
        "accuracy", "roc_auc needs 3 classes among the rows, found 2")
    regression = RegressionTask.fit(pd.DataFrame({"y": [1.0, 2.0, 3.0, 5.0]}), "regression")
    outputs = np.array([[0.1], [0.3], [0.2], [0.9]], dtype=np.float32)
    targets = regression.encode(pd.DataFrame({"y": [1.0, 2.0, 3.0, 5.0]}))
    correlations = regression.score(outputs, targets, ["pearsonr", "spearmanr"])
    assert correlations["spearmanr"] == pytest.approx(0.8)
