"""AutoGluon-MM's spellings of MultiModalPredictor's constructor, fit, predict, methods and properties."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automm.core import MultiModalPredictor
from automm.core.discovery import canonical_problem_type, fitted_problem_type
from automm.core.errors import ConfigError, InputError, PredictorLoadError
from automm.core.persistence import check_save_target
from automm.core.utils import apply_id_mappings, path_expander

TINY = {"optim.max_epochs": 1}


def _table(rows: int = 80, classes: tuple[str, ...] = ("a", "b"), seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"size": rng.normal(size=rows), "colour": rng.choice(["red", "blue", "green"], rows),
                         "label": rng.choice(classes, rows)})


@pytest.fixture(scope="module")
def binary(tmp_path_factory: pytest.TempPathFactory) -> MultiModalPredictor:
    """Fitted with AutoGluon-MM's spellings: problem_type 'Classification', fit(save_path=, max_num_tuning_data=,
    id_mappings=) and no progress bar."""
    table = _table().assign(colour=lambda t: t["colour"].map({"red": 0, "blue": 1, "green": 2}))
    predictor = MultiModalPredictor(label="label", problem_type="Classification", verbosity=0,
                                    path=tmp_path_factory.mktemp("unused") / "p", enable_progress_bar=False)
    save_path = tmp_path_factory.mktemp("saved") / "p"
    return predictor.fit(table, hyperparameters=TINY, save_path=save_path, max_num_tuning_data=10,
                         id_mappings={"colour": {0: "red", 1: "blue", 2: "green"}})


# ------------------------------------------------------------------ problem types and the constructor
def test_problem_type_aliases_and_case() -> None:
    assert canonical_problem_type("Named_Entity_Recognition") == "ner"
    assert canonical_problem_type("BINARY") == "binary"
    assert MultiModalPredictor(label="label", problem_type="Regression").problem_type == "regression"
    three = _table(classes=("a", "b", "c"))[["label"]]
    assert fitted_problem_type("classification", three) == "multiclass"
    assert fitted_problem_type("classification", three.replace("c", "a")) == "binary"
    with pytest.raises(ConfigError, match="multilabel"):
        fitted_problem_type("classification", pd.DataFrame({"x": [0, 1], "y": [1, 0]}))


def test_classification_fits_binary_and_the_fit_arguments_apply(binary: MultiModalPredictor) -> None:
    assert binary.problem_type == "binary"
    assert binary.path.name == "p" and (binary.path / "predictor.json").is_file()  # save_path
    assert "saved" in str(binary.path)
    assert binary.state.config.optim.max_num_tuning_data == 10
    assert binary.column_types["colour"] == "categorical"  # the ids became colour names
    assert binary.fit_summary["validation_rows"] <= 10


def test_arguments_after_problem_type_are_keyword_only() -> None:
    """AutoGluon-MM's third positional is query; automm refuses positional use rather than misread it."""
    with pytest.raises(TypeError):
        MultiModalPredictor("label", "binary", "query")  # type: ignore[misc]


def test_ensemble_mode() -> None:
    one_shot = MultiModalPredictor(label="label", ensemble_mode="one_shot", use_ensemble=True)
    assert one_shot.hyperparameters["ensemble.enabled"] is True
    with pytest.raises(ConfigError, match="sequential"):
        MultiModalPredictor(label="label", ensemble_mode="sequential")


def test_pretrained_false_maps_to_every_backbone() -> None:
    predictor = MultiModalPredictor(label="label", pretrained=False)
    assert predictor.hyperparameters == {"model.text.pretrained": False, "model.image.pretrained": False}
    detector = MultiModalPredictor(problem_type="object_detection", pretrained=False)
    assert detector.hyperparameters == {"model.image.pretrained": False}  # the task reads no text backbone
    assert MultiModalPredictor(label="label", pretrained=True).hyperparameters == {}


def test_existing_folder_messages(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "other.txt").write_text("mine")
    with pytest.raises(ConfigError, match="AutoGluon-MM only warns"):
        check_save_target(tmp_path)
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "predictor.json").write_text("{}")
    MultiModalPredictor(label="label", path=tmp_path / "p", warn_if_exist=True)
    assert "already holds a predictor" in caplog.text


def test_progress_bar_off(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    MultiModalPredictor(label="label", path=tmp_path / "on", verbosity=2).fit(_table(), hyperparameters=TINY)
    assert "%|" in capsys.readouterr().err  # a tqdm bar
    MultiModalPredictor(label="label", path=tmp_path / "off", verbosity=2, enable_progress_bar=False).fit(
        _table(), hyperparameters=TINY)
    assert "%|" not in capsys.readouterr().err


# ------------------------------------------------------------------ fit's refused arguments
@pytest.mark.parametrize(("arguments", "message"), [
    ({"standalone": False}, "offline"), ({"clean_ckpts": False}, "intermediate checkpoints"),
    ({"predictions": [0.1]}, "use_ensemble=True"), ({"predictors": ["p"]}, "use_ensemble=True"),
    ({"tuning_data": "best_quality"}, "presets='best_quality'"),
])
def test_fit_refuses_what_automm_does_otherwise(arguments: dict, message: str, tmp_path: Path) -> None:
    predictor = MultiModalPredictor(label="label", path=tmp_path / "p")
    with pytest.raises(ConfigError, match=message):
        predictor.fit(_table(), **arguments)
    assert not (tmp_path / "p").exists()


def test_fit_accepts_autogluon_defaults_and_save_standalone(binary: MultiModalPredictor, tmp_path: Path) -> None:
    assert binary.save(tmp_path / "copy", standalone=True) == tmp_path / "copy"
    with pytest.raises(ConfigError, match="offline"):
        binary.save(tmp_path / "other", standalone=False)


# ------------------------------------------------------------------ predict and predict_proba
def test_as_pandas_defaults_follow_the_input(binary: MultiModalPredictor) -> None:
    rows = _table(5, seed=1).drop(columns="label")
    frame = binary.predict_proba(rows)
    as_dict = binary.predict_proba(rows.to_dict("list"))
    assert isinstance(frame, pd.DataFrame) and isinstance(as_dict, np.ndarray)
    np.testing.assert_allclose(as_dict[0], frame.iloc[0].to_numpy())  # the first row, as AutoGluon-MM gives it
    assert isinstance(binary.predict(rows.to_dict("list")), np.ndarray)
    assert isinstance(binary.predict(rows, as_pandas=False), np.ndarray)
    assert isinstance(binary.predict_proba(rows.to_dict("list"), as_pandas=True), pd.DataFrame)
    pd.testing.assert_series_equal(binary.predict(rows, realtime=True), binary.predict(rows, realtime=False))


def test_as_multiclass_false_gives_the_positive_class(binary: MultiModalPredictor) -> None:
    rows = _table(5, seed=1).drop(columns="label")
    positive = binary.predict_proba(rows, as_multiclass=False)
    assert binary.positive_class == "b" and positive.name == "b"
    pd.testing.assert_series_equal(positive, binary.predict_proba(rows)["b"])
    assert binary.predict_proba(rows, as_multiclass=False, as_pandas=False).shape == (5,)


# ------------------------------------------------------------------ methods and properties
def test_properties(binary: MultiModalPredictor) -> None:
    assert binary.label == "label" and binary.classes == binary.class_labels == ["a", "b"]
    assert binary.total_parameters == sum(p.numel() for p in binary.state.net.parameters())
    assert binary.problem_property.name == "binary"
    assert "roc_auc" in binary.problem_property.supported_evaluation_metrics
    assert MultiModalPredictor(label="y", problem_type="classification").problem_property is None
    assert 0 < binary.trainable_parameters <= binary.total_parameters
    assert binary.model_size == pytest.approx(binary.total_parameters * 4 / 2**20, rel=0.05)
    assert MultiModalPredictor(label=["x", "y"]).label == ["x", "y"]
    matcher = MultiModalPredictor(problem_type="text_similarity", query="q", response=["r1", "r2"], match_label=1)
    assert (matcher.query, matcher.response, matcher.match_label) == ("q", ["r1", "r2"], 1)


def test_positive_class_of_other_problem_types(tmp_path: Path) -> None:
    predictor = MultiModalPredictor(label="label", path=tmp_path / "p", verbosity=0)
    predictor.fit(_table(classes=("a", "b", "c")), hyperparameters=TINY)
    with pytest.raises(ConfigError, match="binary"):
        _ = predictor.positive_class
    assert predictor.predict_proba(_table(3), as_multiclass=False).shape == (3, 3)  # unchanged, as AutoGluon-MM


def test_fit_summary_is_a_dict_and_a_method(binary: MultiModalPredictor, capsys: pytest.CaptureFixture[str]) -> None:
    assert binary.fit_summary["validation_rows"] == binary.fit_summary()["validation_rows"]
    assert binary.fit_summary(verbosity=1) == dict(binary.fit_summary)
    assert "best_val_score" in capsys.readouterr().out
    json.dumps(binary.fit_summary)


def test_verbosity_and_gpus_after_load(binary: MultiModalPredictor) -> None:
    loaded = MultiModalPredictor.load(binary.path)
    loaded.set_verbosity(0)
    assert loaded.verbosity == 0
    with pytest.raises(ConfigError):
        loaded.set_verbosity(9)
    loaded.set_num_gpus(0)
    assert loaded.get_num_gpus() == 0 and loaded.state.config.env.accelerator == "cpu"
    rows = _table(4, seed=2)
    pd.testing.assert_frame_equal(loaded.predict_proba(rows), binary.predict_proba(rows))
    import torch

    with pytest.warns(UserWarning, match=r"set_num_gpus\(1000\): this machine has"):
        loaded.set_num_gpus(1000)  # AutoGluon-MM's quick start asks for 1 on any machine: the GPUs there are
    assert loaded.get_num_gpus() == torch.cuda.device_count()
    with pytest.raises(ConfigError, match="whole number of GPUs"):
        loaded.set_num_gpus(-2)


def test_list_supported_models() -> None:
    names = MultiModalPredictor.list_supported_models()
    assert "tf_efficientnet_lite0" in names and len(names) > 100


# ------------------------------------------------------------------ helpers and AutoGluon folders
def test_path_expander(tmp_path: Path) -> None:
    assert path_expander("a.jpg", tmp_path) == str(tmp_path / "a.jpg")
    assert path_expander("a.jpg;sub/b.jpg", tmp_path) == f"{tmp_path / 'a.jpg'};{tmp_path / 'sub' / 'b.jpg'}"
    assert path_expander("/abs/c.png", tmp_path) == "/abs/c.png"
    with pytest.raises(InputError, match="one table cell"):
        path_expander(["a.jpg"], tmp_path)  # type: ignore[arg-type]


def test_apply_id_mappings() -> None:
    table = pd.DataFrame({"q": ["q1", "q2"], "score": [1, 0]})
    mapped = apply_id_mappings(table, {"q": pd.Series({"q1": "hello", "q2": "world"})}, "data")
    assert mapped["q"].tolist() == ["hello", "world"] and table["q"].tolist() == ["q1", "q2"]
    with pytest.raises(InputError, match="no entry for id 'q2'"):
        apply_id_mappings(table, {"q": {"q1": "hello"}}, "data")
    assert apply_id_mappings(table, {"other_table_column": {}}, "data").equals(table)  # one mapping, many tables


def test_autogluon_saved_folder_is_named(tmp_path: Path) -> None:
    (tmp_path / "assets.json").write_text('{"class_name": "MultiModalPredictor"}')
    with pytest.raises(PredictorLoadError, match="saved by AutoGluon-MM"):
        MultiModalPredictor.load(tmp_path)


def test_evaluate_accepts_autogluon_s_realtime_and_eval_tool(binary: MultiModalPredictor) -> None:
    rows = _table(12, seed=3)
    assert binary.evaluate(rows, realtime=True, eval_tool="pycocotools") == binary.evaluate(rows)
    with pytest.raises(ConfigError, match="eval_tool='cocoapi'"):
        binary.evaluate(rows, eval_tool="cocoapi")
