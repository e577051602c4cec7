"""The metric-name table, the eval_metric / validation_metric choice, PROBLEM_TYPES_REG and the HPO objective."""

from __future__ import annotations

import numpy as np
import pytest

from automm.core.errors import ConfigError
from automm.core.fitting.settings import PredictorSettings
from automm.core.hpo.search import objective
from automm.core.metric_choice import evaluation_names, fit_info, for_validation, tracked
from automm.core.metric_names import greater_is_better, rename, resolve, resolve_all
from automm.core.results import MetricChoice


class _Task:
    """What the metric choice reads from a task."""

    validation_metric = ("roc_auc", True)
    chosen_metrics: MetricChoice | None = None

    def default_metric_names(self) -> list[str]:
        return ["roc_auc", "accuracy", "log_loss"]

    def validation_fallback(self, name: str, targets: np.ndarray) -> tuple[str, str] | None:
        return ("accuracy", "one class") if name == "roc_auc" and len(np.unique(targets)) < 2 else None



@pytest.mark.parametrize(("name", "problem_type", "expected"), [
    ("acc", "binary", "accuracy"), ("ACC", "multiclass", "accuracy"), ("nll", "binary", "log_loss"),
    ("auc", "binary", "roc_auc"), ("auc", "text_similarity", "roc_auc"),
    ("Root_Mean_Squared_Error", "regression", "rmse"), ("mse", "regression", "mse"),
    ("pearsonr", "regression", "pearsonr"), ("spearmanr", "text_similarity", "spearman"),
    ("mean_average_precision", "object_detection", "map"), ("map_50", "object_detection", "map_50"),
    ("NDCG@5", "text_similarity", "ndcg@5"), ("recall", "image_text_similarity", "recall"),
    ("mcc", "binary", "mcc"), ("quadratic_kappa", "multiclass", "quadratic_kappa"),
    ("ber", "semantic_segmentation", "ber"), ("Overall_F1", "ner", "overall_f1"),
])
def test_autogluon_names_resolve_to_what_the_task_computes(name: str, problem_type: str, expected: str) -> None:
    assert resolve(name, problem_type) == expected


def test_inapplicable_and_unknown_names_are_refused_with_the_accepted_list() -> None:
    with pytest.raises(ConfigError, match=r"eval_metric='rmse' does not apply to problem_type 'binary'.*accepts: "
                                          r"\['roc_auc', 'accuracy'"):
        resolve("rmse", "binary", role="eval_metric")
    with pytest.raises(ConfigError, match='Unknown metrics \'acuracy\'.*Did you mean "accuracy"'):
        resolve_all(["acuracy"], "multiclass")
    assert resolve_all(["dice"], "semantic_segmentation", strict=False) == ["dice"]  # the task refuses it
    with pytest.raises(ConfigError, match="metrics='rmse' does not apply"):
        resolve_all(["rmse"], "binary", strict=False)
    with pytest.raises(ConfigError, match="must be a metric name"):
        resolve("", "binary")


def test_a_task_s_own_names_and_unlisted_problem_types_pass_through() -> None:
    assert resolve("ACTOR", "ner", extra=("actor",)) == "actor"
    assert resolve("Custom", "my_own_type") == "Custom"
    assert rename({"accuracy": 0.5, "f1": 0.2}, ["acc", "f1"], ["accuracy", "f1"]) == {"acc": 0.5, "f1": 0.2}
    assert not greater_is_better("rmse") and not greater_is_better("log_loss") and greater_is_better("r2")


def test_settings_refuse_a_metric_of_another_problem_type_at_construction() -> None:
    with pytest.raises(ConfigError, match="validation_metric='r2' does not apply"):
        PredictorSettings.create("y", "binary", None, None, "acc", {}, {}, validation_metric="r2")
    settings = PredictorSettings.create("y", None, None, None, "mae", {}, {})  # checked at fit, once inferred
    with pytest.raises(ConfigError, match="eval_metric='mae' does not apply to problem_type 'multiclass'"):
        settings.metric_choice("multiclass")
    assert settings.metric_choice("regression") == MetricChoice("mae", None)


def test_a_regression_only_eval_metric_makes_one_label_column_a_regression() -> None:
    assert PredictorSettings.create("y", None, None, None, "RMSE", {}, {}).problem_type == "regression"
    assert PredictorSettings.create("y", None, None, None, "spearmanr", {}, {}).problem_type == "regression"
    assert PredictorSettings.create(["a", "b"], None, None, None, "rmse", {}, {}).problem_type is None
    assert PredictorSettings.create("y", None, None, None, "acc", {}, {}).problem_type is None


def test_validation_metric_wins_over_eval_metric_which_wins_over_the_default() -> None:
    task = _Task()
    assert tracked(task) == ("roc_auc", True) and evaluation_names(task) is None
    task.chosen_metrics = MetricChoice("log_loss", None)
    assert tracked(task) == ("log_loss", False)
    assert evaluation_names(task) == ["log_loss", "roc_auc", "accuracy"]
    task.chosen_metrics = MetricChoice("log_loss", "accuracy")
    assert tracked(task) == ("accuracy", True)
    assert fit_info(task, "") == {"eval_metric": "log_loss", "validation_metric": "accuracy",
                                  "metric_choice": {"eval_metric": "log_loss", "validation_metric": "accuracy"}}
    assert MetricChoice.from_json(None) is None  # a predictor saved before the choice existed: the defaults


def test_a_metric_the_validation_rows_cannot_give_falls_back_with_a_warning(caplog) -> None:
    task = _Task()
    assert for_validation(task, np.array([0, 1, 1])) == ("roc_auc", True)
    with caplog.at_level("WARNING", logger="automm"):
        assert for_validation(task, np.array([1, 1, 1])) == ("accuracy", True)
    assert "cannot be computed on these validation rows (one class)" in caplog.text


def test_the_search_objective_follows_eval_metric_and_validation_metric() -> None:
    settings = PredictorSettings.create("y", "binary", None, None, None, {}, {})
    assert objective(_Task(), settings, "binary") == ("roc_auc", "max")
    settings = PredictorSettings.create("y", "binary", None, None, "nll", {}, {})
    assert objective(_Task(), settings, "binary") == ("log_loss", "min")
    settings = PredictorSettings.create("y", "binary", None, None, "nll", {}, {}, validation_metric="acc")
    assert objective(_Task(), settings, "binary") == ("accuracy", "max")


def test_problem_types_reg_describes_the_installed_problem_types() -> None:
    from automm.core.problem_types import PROBLEM_TYPES_REG

    binary = PROBLEM_TYPES_REG.get("binary")
    assert binary.fallback_evaluation_metric == "roc_auc" and binary.is_classification
    assert {"acc", "accuracy"} & set(binary.supported_evaluation_metrics) == {"accuracy"}
    assert PROBLEM_TYPES_REG.get("regression").fallback_validation_metric == "rmse"
    assert "pearsonr" in PROBLEM_TYPES_REG.get("regression").supported_validation_metrics
    assert PROBLEM_TYPES_REG.get("object_detection").support_zero_shot and "object_detection" in PROBLEM_TYPES_REG
    assert PROBLEM_TYPES_REG.get("image_text_similarity").supported_modality_type == {"image", "text"}
    assert PROBLEM_TYPES_REG.get("text_similarity").is_matching
    with pytest.raises(ConfigError, match='Did you mean "binary"'):
        PROBLEM_TYPES_REG.get("binery")


def test_get_presets_gives_hyperparameters_and_tune_kwargs() -> None:
    from automm.core.hpo.options import get_presets

    hyperparameters, tune_kwargs = get_presets("multiclass", "high_quality")
    assert tune_kwargs == {} and "optim.lr" in hyperparameters and "optim.max_epochs" in hyperparameters
    searched, tune_kwargs = get_presets("multiclass", "high_quality_hpo")
    assert tune_kwargs["searcher"] == "bayes" and "loguniform" in searched["optim.lr"]
    with pytest.raises(ConfigError, match="AutoGluon-MM's get_presets\\(problem_type='default'\\).*per problem type"):
        get_presets("default", "high_quality")
