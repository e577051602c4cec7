"""Bad input at fit, predict, evaluate, save and load: automm's own error naming the column, row or file and the
fix, or the correct handled result. One predictor, fitted once on a deliberately messy table, serves every test."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from automm.core import (
    ConfigError,
    InputError,
    MultiModalPredictor,
    NotFittedError,
    PredictorLoadError,
)
from automm.core.persistence import FORMAT_VERSION
from automm.core.testing.tiny_models import tiny_hyperparameters

ROWS = 32
GOOD_IMAGES = ["rgb", "grey", "rgba", "cmyk", "grey16"]
BAD_IMAGES = ["missing", "a_directory", "truncated", "not_an_image"]


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("images")
    Image.new("RGB", (12, 12), (200, 30, 30)).save(folder / "rgb.png")
    Image.new("L", (12, 12), 90).save(folder / "grey.png")
    Image.new("RGBA", (12, 12), (0, 0, 255, 100)).save(folder / "rgba.png")
    Image.new("CMYK", (12, 12), (0, 200, 0, 30)).save(folder / "cmyk.jpg")
    Image.fromarray(np.full((12, 12), 40000, dtype=np.uint16)).save(folder / "grey16.png")
    good = (folder / "rgb.png").read_bytes()
    (folder / "truncated.png").write_bytes(good[: len(good) // 2])
    (folder / "not_an_image.png").write_bytes(b"GIF89a but not really")
    (folder / "a_directory.png").mkdir()
    paths = {p.name.split(".")[0]: str(p) for p in folder.iterdir()}
    return {**paths, "missing": str(folder / "missing.png")}


@pytest.fixture(scope="module")
def table(images: dict[str, str]) -> pd.DataFrame:
    """Every kind of messy column at once; the label is missing on three rows."""
    rng = np.random.default_rng(0)
    names = GOOD_IMAGES + BAD_IMAGES
    amount = rng.normal(size=ROWS) * 10
    amount[[1, 2, 3]] = [np.nan, np.inf, 1e300]
    frame = pd.DataFrame({
        0: rng.normal(size=ROWS),  # a non-string column name
        "photo": [images[names[i % len(names)]] for i in range(ROWS)],
        "review": ["the food was very good", "bad taste and not good", "", None] * (ROWS // 4),
        "blank": [""] * ROWS,
        "amount": amount,
        "amount_str": [f"{v:.2f}" for v in rng.normal(size=ROWS)],
        "colour": rng.choice(["red", "green", "blue"], ROWS),
        "mixed": [1, "a", 2.5, None] * (ROWS // 4),
        "label": ["yes", "no"] * (ROWS // 2),
    })
    frame.loc[[4, 9, 17], "label"] = np.nan
    return frame


@pytest.fixture(scope="module")
def fitted(table: pd.DataFrame, tiny_text_model: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> MultiModalPredictor:
    path = tmp_path_factory.mktemp("bad_input") / "predictor"
    hp = tiny_hyperparameters(tiny_text_model, **{"optim.max_epochs": 1, "model.image.image_size": 16})
    return MultiModalPredictor(label="label", path=path, hyperparameters=hp).fit(table, seed=0)


@pytest.fixture
def quick(tiny_text_model: Path) -> dict:
    return tiny_hyperparameters(tiny_text_model, **{"optim.max_epochs": 1})


# ---------------------------------------------------------------- fit on messy data: handled
def test_rows_without_a_label_are_dropped(fitted: MultiModalPredictor, table: pd.DataFrame) -> None:
    summary = fitted.fit_summary
    assert summary["train_rows"] + summary["validation_rows"] == table["label"].notna().sum() == ROWS - 3


def test_messy_columns_get_sensible_types(fitted: MultiModalPredictor) -> None:
    assert fitted.column_types == {
        "0": "numerical", "photo": "image_path", "review": "text", "blank": "null", "amount": "numerical",
        "amount_str": "numerical", "colour": "categorical", "mixed": "categorical",
    }
    assert "empty strings" in fitted.describe_columns()


def test_image_modes_are_read_and_unreadable_images_masked(fitted: MultiModalPredictor,
                                                          images: dict[str, str]) -> None:
    processor = fitted.state.processors.image
    mask = processor.transform({"photo": [images[n] for n in GOOD_IMAGES + BAD_IMAGES]})["mask"][:, 0]
    assert mask.tolist() == [True] * len(GOOD_IMAGES) + [False] * len(BAD_IMAGES)


# ---------------------------------------------------------------- predict
def _check_predictions(fitted: MultiModalPredictor, rows: pd.DataFrame) -> pd.Series:
    predictions = fitted.predict(rows)
    proba = fitted.predict_proba(rows)
    assert list(predictions.index) == list(rows.index) and set(predictions) <= {"yes", "no"}
    assert np.isfinite(proba.to_numpy()).all() and np.allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    return predictions


def test_predict_on_unreadable_images_empty_text_and_bad_numbers(fitted: MultiModalPredictor, table: pd.DataFrame,
                                                                 images: dict[str, str]) -> None:
    rows = table.drop(columns="label").head(8).assign(
        photo=[images[n] for n in BAD_IMAGES] + [None, np.nan, "", images["missing"] + ";" + images["truncated"]],
        review=["", None, "   ", "", np.nan, "", "", ""],
        amount=[np.nan, np.inf, -np.inf, 1e308, -1e308, "12.5", "not a number", None],
    )
    _check_predictions(fitted, rows)


def test_unseen_categories_and_wrong_dtypes_at_predict(fitted: MultiModalPredictor, table: pd.DataFrame) -> None:
    rows = table.drop(columns="label").head(8)
    unseen = rows.assign(colour=["purple", None, 3, "RED", "", "x", "y", "z"], mixed=[[1], {"a": 2}, 9, "q"] * 2)
    _check_predictions(fitted, unseen)
    as_strings = rows.assign(amount=rows["amount"].astype(str), amount_str=rows["amount_str"].astype(float))
    pd.testing.assert_series_equal(_check_predictions(fitted, as_strings), fitted.predict(rows))


def test_extra_and_reordered_columns_give_the_same_predictions(fitted: MultiModalPredictor,
                                                              table: pd.DataFrame) -> None:
    rows = table.head(10)
    shuffled = rows.assign(unused="x", other=1.0)[["other", "unused", *rows.columns[::-1]]]
    expected = fitted.predict_proba(rows.drop(columns="label"))
    pd.testing.assert_frame_equal(fitted.predict_proba(shuffled), expected)


def test_zero_rows(fitted: MultiModalPredictor, table: pd.DataFrame) -> None:
    empty = table.head(0)
    predictions = fitted.predict(empty)
    assert len(predictions) == 0 and predictions.name == "label"
    assert list(fitted.predict_proba(empty).columns) == ["no", "yes"] and len(fitted.predict_proba(empty)) == 0
    assert fitted.extract_embedding(empty).shape[0] == 0


def test_non_string_column_names_match_their_string_form(fitted: MultiModalPredictor, table: pd.DataFrame) -> None:
    rows = table.head(6)
    pd.testing.assert_series_equal(fitted.predict(rows), fitted.predict(rows.rename(columns={0: "0"})))


def test_missing_training_column_is_named_with_the_closest(fitted: MultiModalPredictor, table: pd.DataFrame) -> None:
    rows = table.head(5).rename(columns={"colour": "color"}).drop(columns="amount")
    with pytest.raises(InputError, match=r"data lacks column\(s\) \['amount', 'colour'\] that the predictor was "
                                         r"trained on\. Did you mean \"color\" for 'colour'\? Add them"):
        fitted.predict(rows)


def test_duplicate_columns_at_predict(fitted: MultiModalPredictor, table: pd.DataFrame) -> None:
    rows = pd.concat([table.head(3), table.head(3)[["colour"]]], axis=1)
    with pytest.raises(InputError, match=r"duplicate column names \['colour'\]"):
        fitted.predict(rows)


# ---------------------------------------------------------------- evaluate
def test_evaluate_with_a_label_never_seen_in_training(fitted: MultiModalPredictor, table: pd.DataFrame) -> None:
    rows = table.head(6).assign(label=["yes", "no", "yes", "maybe", "no", "maybe"])
    rows.index = [f"r{i}" for i in range(6)]
    with pytest.raises(InputError, match=r"Label column 'label' has value\(s\) \['maybe'\] \(first at row 'r3'\) "
                                         r"that were not classes in training \(\['no', 'yes'\]\)\. Remove those rows"):
        fitted.evaluate(rows)


def test_evaluate_with_list_labels(fitted: MultiModalPredictor, table: pd.DataFrame) -> None:
    rows = table.head(4).assign(label=[["yes"], "no", "yes", "no"])
    with pytest.raises(InputError, match=r"Label column 'label' holds a list at row 0.*one value"):
        fitted.evaluate(rows)


def test_evaluate_drops_rows_without_a_label(fitted: MultiModalPredictor, table: pd.DataFrame) -> None:
    scores = fitted.evaluate(table)  # three labels are missing
    assert 0.0 <= scores["accuracy"] <= 1.0


# ---------------------------------------------------------------- fit errors, raised before anything is written
@pytest.mark.parametrize(("label", "problem_type", "message"), [
    ("p", None, r"Label column 'label' has 1 distinct value\(s\) \(\['p'\]\); at least two classes"),
    ("p", "binary", r"Label column 'label' has only the class \['p'\]; at least two are needed"),
    (2.5, "regression", r"Regression label column 'label' has the same value 2\.5 on every row"),
], ids=["one-class", "one-class-binary", "constant-regression"])
def test_labels_with_nothing_to_learn(table: pd.DataFrame, quick: dict, tmp_path: Path, label: object,
                                      problem_type: str | None, message: str) -> None:
    data = table.assign(label=label)
    data.loc[[0, 5], "label"] = np.nan
    with pytest.raises(InputError, match=message):
        MultiModalPredictor(label="label", problem_type=problem_type, path=tmp_path / "p",
                            hyperparameters=quick).fit(data)
    assert not (tmp_path / "p").exists()


def test_list_labels_at_fit(table: pd.DataFrame, quick: dict, tmp_path: Path) -> None:
    data = table.assign(label=[["a", "b"], "a"] * (ROWS // 2))
    with pytest.raises(InputError, match=r"Label column 'label' holds a list at row 0 \(\['a', 'b'\]\).*multilabel"):
        MultiModalPredictor(label="label", path=tmp_path / "p", hyperparameters=quick).fit(data)


@pytest.mark.parametrize(("kwargs", "fit_kwargs", "message"), [
    ({"presets": "best_qualty"}, {}, r"Unknown preset 'best_qualty'\. Did you mean \"best_quality\"\?"),
    ({"problem_type": "multiclas"}, {}, r"Unknown problem_type 'multiclas'\. Did you mean \"multiclass\"\?"),
    ({}, {"hyperparameters": {"optim.lr_rate": 1e-3}}, r"Unknown hyperparameter 'optim\.lr_rate'\. Did you mean "
                                                       r"\"optim\.lr\"\?"),
    ({}, {"hyperparameters": {"optim.batch_size": 0}}, r"'optim\.batch_size' must be >= 1, got 0"),
    ({}, {"time_limit": 0}, r"time_limit must be a positive number of seconds \(or None for no limit\), got 0"),
], ids=["preset", "problem-type", "hyperparameter", "batch-size", "time-limit"])
def test_bad_arguments(table: pd.DataFrame, quick: dict, tmp_path: Path, kwargs: dict, fit_kwargs: dict,
                       message: str) -> None:
    with pytest.raises(ConfigError, match=message):  # an unknown problem_type is refused by the constructor
        MultiModalPredictor(label="label", path=tmp_path / "p", hyperparameters=quick, **kwargs).fit(table,
                                                                                                   **fit_kwargs)
    assert not (tmp_path / "p").exists()


def test_failed_fit_leaves_the_saved_predictor_untouched(fitted: MultiModalPredictor, table: pd.DataFrame,
                                                         quick: dict) -> None:
    before = sorted(p.relative_to(fitted.path) for p in fitted.path.rglob("*"))
    predictor = MultiModalPredictor(label="label", path=fitted.path, hyperparameters=quick)
    with pytest.raises(InputError, match=r"tuning_data lacks column\(s\) \['amount'\]"):
        predictor.fit(table, tuning_data=table.drop(columns="amount"))
    with pytest.raises(InputError, match=r"'maybe'"):
        predictor.fit(table, tuning_data=table.assign(label="maybe"))
    with pytest.raises(NotFittedError):  # a failed first fit leaves the predictor unfitted
        predictor.predict(table)
    assert sorted(p.relative_to(fitted.path) for p in fitted.path.rglob("*")) == before
    pd.testing.assert_frame_equal(MultiModalPredictor.load(fitted.path).predict_proba(table),
                                  fitted.predict_proba(table))


# ---------------------------------------------------------------- save
def test_save_to_a_file_or_a_directory_of_other_files(fitted: MultiModalPredictor, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep")
    with pytest.raises(ConfigError, match=r"Cannot save the predictor to '.*notes\.txt': .* is a file"):
        fitted.save(tmp_path / "notes.txt")
    with pytest.raises(ConfigError, match=r"directory holding other files \(\['notes\.txt'\]\)"):
        fitted.save(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "keep"
    assert MultiModalPredictor.load(fitted.save(tmp_path / "copy")).class_labels == ["no", "yes"]


# ---------------------------------------------------------------- load a damaged copy of a real predictor
def _edit_json(name: str, change) -> callable:
    def edit(folder: Path) -> None:
        data = json.loads((folder / name).read_text())
        change(data)
        (folder / name).write_text(json.dumps(data))

    return edit


DAMAGE = {
    "garbage-weights": (lambda f: (f / "model.safetensors").write_bytes(b"\x00" * 64),
                        r"model\.safetensors in '.*' is damaged or was edited"),
    "truncated-weights": (lambda f: (f / "model.safetensors").write_bytes((f / "model.safetensors").read_bytes()[:999]),
                          r"model\.safetensors in '.*' is damaged or was edited"),
    "missing-weights": (lambda f: (f / "model.safetensors").unlink(),
                        r"is not a complete predictor: model\.safetensors is missing"),
    "weights-do-not-fit": (_edit_json("network.json", lambda d: d.update(output_size=5)),
                           r"model\.safetensors in '.*' does not match network\.json"),
    "network-edited": (_edit_json("network.json", lambda d: d["text"].update(pooling="max")),
                       r"network\.json in '.*' is damaged or was edited .*pooling"),
    "processors-edited": (_edit_json("processors.json", lambda d: d["numerical"].pop("means")),
                          r"processors\.json in '.*' is damaged or was edited"),
    "label-columns-gone": (_edit_json("predictor.json", lambda d: d.pop("label_columns")),
                           r"predictor\.json in '.*' is damaged or was edited \(KeyError\('label_columns'\)\)"),
    "corrupted-json": (lambda f: (f / "predictor.json").write_text('{"format_version": 1,'),
                       r"predictor\.json in '.*' is not valid JSON"),
    "format-version-999": (_edit_json("predictor.json", lambda d: d.update(format_version=999)),
                           rf"format version 999; this automm-core reads up to {FORMAT_VERSION}\. Upgrade automm-core"),
    "tokenizer-damaged": (lambda f: (f / "text_backbone" / "tokenizer.json").write_text("{"),
                          r"The tokenizer in '.*text_backbone' cannot be loaded"),
    "text-backbone-gone": (lambda f: shutil.rmtree(f / "text_backbone"), r"text_backbone/ is missing"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_predictor_directory(fitted: MultiModalPredictor, tmp_path: Path, damage: str) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(fitted.path, folder)
    corrupt, message = DAMAGE[damage]
    corrupt(folder)
    with pytest.raises(PredictorLoadError, match=message):
        MultiModalPredictor.load(folder)
