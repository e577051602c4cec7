"""Bad input at the core level (no task package needed): each case fails with automm's own error naming the
column, row or file and the fix, or is handled correctly. Fit-level cases (they need a task package) live in
tests/robustness/test_bad_input_fit.py."""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from automm.core import ConfigError, InputError, MultiModalPredictor, PredictorLoadError
from automm.core.base.images import read_cell as read_image
from automm.core.config import Config
from automm.core.data.column_types import ColumnType, describe_column_types, detect_column_types
from automm.core.data.images import ImageProcessor
from automm.core.data.ingest import read_table, require_features
from automm.core.data.tabular import CLIP, CategoricalProcessor, NumericalProcessor
from automm.core.data.text import TextProcessor
from automm.core.persistence import FORMAT_VERSION, check_save_target, load_state


# ---------------------------------------------------------------- reading the table
def test_duplicate_column_names_are_named() -> None:
    frame = pd.DataFrame([[1, 2, 3]], columns=["a", "price", "price"])
    with pytest.raises(InputError, match=r"duplicate column names \['price'\].*rename"):
        read_table(frame, "train_data")


def test_names_that_collide_once_made_strings_are_duplicates() -> None:
    with pytest.raises(InputError, match=r"duplicate column names \['1'\]"):
        read_table(pd.DataFrame([[1, 2]], columns=[1, "1"]))


def test_non_string_column_names_become_strings() -> None:
    frame = read_table(pd.DataFrame([[1.0, "a", True]], columns=[0, 2.5, "name"]))
    assert list(frame.columns) == ["0", "2.5", "name"]
    assert frame["0"].tolist() == [1.0]


def test_multi_level_column_names_are_refused_with_the_fix() -> None:
    frame = pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("a", "x"), ("a", "y")]))
    with pytest.raises(InputError, match=r"train_data has multi-level column names.*flatten"):
        read_table(frame, "train_data")


def test_csv_path_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"train_data: file '.*missing\.csv' does not exist"):
        read_table(tmp_path / "missing.csv", "train_data")


def test_csv_path_that_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory; pass a CSV or parquet file"):
        read_table(tmp_path, "train_data")


@pytest.mark.parametrize("content", [b"", b"\xff\xfe\x00\x81garbage\n\x00"], ids=["empty", "binary"])
def test_unreadable_csv_names_the_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=r"could not read '.*broken\.csv' as a table"):
        read_table(path, "train_data")


def test_not_a_table() -> None:
    with pytest.raises(InputError, match="must be a pandas DataFrame, a dict of columns or a path.*got list"):
        read_table([[1, 2]], "data")


def test_missing_feature_column_is_named_with_the_closest() -> None:
    frame = pd.DataFrame({"Price": [1.0], "colour": ["red"]})
    with pytest.raises(InputError, match=r"data lacks column\(s\) \['price'\].*Did you mean \"Price\" for "
                                         r"'price'\? Add them"):
        require_features(frame, ["price", "colour"], "data")


# ---------------------------------------------------------------- column types
def test_text_column_of_empty_strings_is_ignored() -> None:
    frame = pd.DataFrame({"review": ["", "  ", None, ""] * 5, "label": [0, 1] * 10})
    decision = detect_column_types(frame, ["label"])["review"]
    assert decision.type is ColumnType.NULL
    assert "empty strings" in decision.reason


def test_empty_strings_do_not_dilute_real_text() -> None:
    reviews = ["this product was very good indeed", "", "terrible taste and very bad food", ""] * 5
    frame = pd.DataFrame({"review": reviews, "label": [0, 1] * 10})
    assert detect_column_types(frame, ["label"])["review"].type is ColumnType.TEXT


def test_wrong_dtypes_are_detected_by_value() -> None:
    frame = pd.DataFrame({
        "numbers_as_strings": [" 1.5", "2", "3.25", "4", "5", "6", "7", "8", "9", "n/a"] * 2,
        "mixed": [1, "a", 2.5, None, "b"] * 4,
        "huge_ints": pd.Series([10**400, *range(19)], dtype=object),  # beyond float range: crashed pandas (pandas 2
        # cannot build this column from a plain list at all)
        "label": [0, 1] * 10,
    })
    found = {c: d.type for c, d in detect_column_types(frame, ["label"]).items()}
    assert found == {"numbers_as_strings": ColumnType.NUMERICAL, "mixed": ColumnType.CATEGORICAL,
                     "huge_ints": ColumnType.NUMERICAL}


def test_column_types_must_be_a_mapping_of_feature_columns() -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0], "label": [0, 1]})
    with pytest.raises(InputError, match="column_types must map column names to types, got list"):
        detect_column_types(frame, ["label"], ["x"])  # type: ignore[arg-type]
    with pytest.raises(InputError, match="'label', which is a label column"):
        detect_column_types(frame, ["label"], {"label": "numerical"})


def test_report_lines_up_with_short_column_names() -> None:
    report = describe_column_types(detect_column_types(pd.DataFrame({"x": [1.0, 2.0], "y": [0, 1]}), ["y"]))
    header, row = report.splitlines()
    assert header.index("type") == row.index("numerical")


# ---------------------------------------------------------------- processors
def test_nan_inf_and_huge_numbers_give_finite_features() -> None:
    frame = pd.DataFrame({
        "huge": [1e300, -1e300, 5e299, np.inf, -np.inf, np.nan, 1e308, 0.0],
        "normal": [1.0, 2.0, np.nan, 4.0, np.inf, 6.0, 7.0, 8.0],
    })
    processor = NumericalProcessor.fit(frame, ["huge", "normal"])
    assert np.isfinite(processor.means).all() and np.isfinite(processor.stds).all()
    assert np.isfinite(processor.medians).all()
    out = processor.transform(frame)
    assert np.isfinite(out).all() and np.abs(out).max() <= CLIP
    assert len(np.unique(out[:, 0])) > 2  # huge values still vary, not all clipped to one bound
    # At predict time: numbers as strings, garbage, None and a Python int beyond int64 are handled.
    new = processor.transform(pd.DataFrame({"huge": ["1e300", "abc", None, 10**400], "normal": ["4", [1], {}, "-inf"]}))
    assert np.isfinite(new).all()
    assert new[0, 1] == pytest.approx(processor.transform(pd.DataFrame({"huge": [1e300], "normal": [4.0]}))[0, 1])


def test_unseen_and_missing_categories_share_the_unknown_id() -> None:
    frame = pd.DataFrame({"colour": ["red", "blue", "red", None], "size": [1, 2, 2, 1]})
    processor = CategoricalProcessor.fit(frame, ["colour", "size"])
    out = processor.transform(pd.DataFrame({"colour": ["green", None, np.nan, "red"], "size": [3, "1", 1.0, 2]}))
    assert out[:, 0].tolist() == [0, 0, 0, processor.vocabularies[0].index("red") + 1]
    assert out[:3, 1].tolist() == [0, out[2, 1], out[2, 1]] and out[2, 1] != 0  # "1", 1.0 and 1 are one category


def _png_rgb16(path: Path, size: int = 6) -> None:
    """A 16-bit-per-channel RGB PNG (PIL cannot write one)."""
    row = b"".join(struct.pack(">HHH", 65535, 32768, 0) for _ in range(size))
    raw = b"".join(b"\x00" + row for _ in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 16, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
                     + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("images")
    Image.new("RGB", (8, 8), (255, 0, 0)).save(folder / "rgb.png")
    Image.new("L", (8, 8), 128).save(folder / "grey.png")
    Image.new("RGBA", (8, 8), (0, 0, 255, 0)).save(folder / "rgba.png")  # fully transparent: white
    Image.new("CMYK", (8, 8), (0, 255, 0, 0)).save(folder / "cmyk.jpg")  # magenta
    Image.fromarray(np.full((8, 8), 65535, dtype=np.uint16)).save(folder / "grey16.png")
    _png_rgb16(folder / "rgb16.png")
    Image.new("P", (8, 8), 3).save(folder / "palette.png")
    good = (folder / "rgb.png").read_bytes()
    (folder / "truncated.png").write_bytes(good[: len(good) // 2])
    (folder / "text.png").write_bytes(b"this is not an image at all")
    (folder / "empty.png").write_bytes(b"")
    (folder / "a_directory.png").mkdir()
    return {p.stem: str(p) for p in folder.iterdir()} | {"missing": str(folder / "missing.png")}


@pytest.mark.parametrize(("name", "pixel"), [("rgb", (255, 0, 0)), ("grey", (128, 128, 128)),
                                             ("rgba", (255, 255, 255)), ("grey16", (255, 255, 255)),
                                             ("palette", None), ("rgb16", None), ("cmyk", None)])
def test_image_modes_are_read_as_rgb(images: dict[str, str], name: str, pixel: tuple | None) -> None:
    [image] = read_image(images[name], ColumnType.IMAGE_PATH)
    assert image is not None and image.mode == "RGB" and image.size in ((8, 8), (6, 6))
    if pixel is not None:
        assert image.getpixel((0, 0)) == pixel
    if name == "cmyk":
        red, green, blue = image.getpixel((0, 0))
        assert red > 200 and green < 60 and blue > 200


@pytest.mark.parametrize("name", ["missing", "a_directory", "truncated", "text", "empty"])
def test_unreadable_image_paths_are_masked(images: dict[str, str], name: str) -> None:
    assert read_image(images[name], ColumnType.IMAGE_PATH) == [None]
    processor = ImageProcessor(["photo"], ["image_path"], size=16)
    out = processor.transform({"photo": [images[name], images["rgb"], None, pd.NA]})
    assert out["mask"][:, 0].tolist() == [False, True, False, False]
    assert out["pixels"].shape == (4, 2, 3, 16, 16) and bool(out["pixels"][0].eq(0).all())


def test_bytes_that_are_not_an_image_are_masked(images: dict[str, str]) -> None:
    good = Path(images["rgb"]).read_bytes()
    processor = ImageProcessor(["raw"], ["image_bytes"], size=16)
    out = processor.transform({"raw": [b"\x89PNG not really", good[:40], good, "a string", 12]})
    assert out["mask"][:, 0].tolist() == [False, False, True, False, False]


@pytest.fixture(scope="module")
def tokenizer(tiny_text_model: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(tiny_text_model))


def test_text_of_empty_strings_gives_empty_rows(tokenizer) -> None:
    processor = TextProcessor(["title", "body"], max_length=16, tokenizer=tokenizer)
    out = processor.transform({"title": ["", None, "   ", "good"], "body": ["", np.nan, "", 3.5]})
    assert out["present"].tolist() == [False, False, False, True]
    assert out["input_ids"].shape[0] == 4 and out["attention_mask"][:3].sum(axis=1).tolist() == [3, 3, 3]


# ---------------------------------------------------------------- configuration
@pytest.mark.parametrize(("key", "suggestion"), [("optim.lr_rate", "optim.lr"), ("optim.batchsize", "optim.batch_size"),
                                                 ("model.text.checkpont", "model.text.checkpoint")])
def test_unknown_hyperparameter_suggests_the_closest(key: str, suggestion: str) -> None:
    with pytest.raises(ConfigError, match=f"Unknown hyperparameter '{key}'. Did you mean \"{suggestion}\"\\?"):
        Config().override({key: 1})


@pytest.mark.parametrize(("key", "value", "allowed"), [
    ("optim.batch_size", 0, ">= 1"), ("optim.max_epochs", 0, ">= 1"), ("optim.lr", -1e-3, "> 0"),
    ("optim.lr", "inf", "of type float"), ("model.fusion.dropout", 1.0, r"in \[0, 1\)"),
    ("model.text.pooling", "max", r"one of \('cls', 'mean'\), got 'max'. Did you mean \"mean\""),
    ("optim.precision", "fp16", "one of"), ("env.accelerator", "tpux", 'one of .*Did you mean "tpu"'),
    ("optim.peft", "lorra", 'one of .*Did you mean "lora"'),
])
def test_out_of_range_hyperparameters_are_refused(key: str, value: object, allowed: str) -> None:
    with pytest.raises(ConfigError, match=f"Hyperparameter '{key}' must be {allowed}"):
        Config().override({key: value})


def test_hyperparameters_must_be_a_mapping_or_autogluon_dotlist() -> None:
    assert MultiModalPredictor(label="y", hyperparameters="optim.lr=1").hyperparameters == {"optim.lr": 1}
    with pytest.raises(ConfigError, match="hyperparameters must be a dict.*got int"):
        MultiModalPredictor(label="y", hyperparameters=5)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="hyperparameters must be a dict.*list holds \\('optim.lr', 1\\)"):
        Config().override([("optim.lr", 1)])  # type: ignore[list-item]


def test_label_argument() -> None:
    with pytest.raises(ConfigError, match="label is required"):
        MultiModalPredictor()
    with pytest.raises(ConfigError, match=r"more than once: \['y', 'y'\]"):
        MultiModalPredictor(label=["y", "y"])
    assert MultiModalPredictor(label=3).label_columns == ["3"]  # type: ignore[arg-type]


# ---------------------------------------------------------------- fit arguments checked before any work
@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame({"x": np.linspace(0, 1, 10), "label": ["a", "b"] * 5})


@pytest.mark.parametrize("time_limit", [0, -5, float("nan"), float("inf"), "60", True])
def test_time_limit_must_be_positive_seconds(table: pd.DataFrame, tmp_path: Path, time_limit: object) -> None:
    predictor = MultiModalPredictor(label="label", path=tmp_path / "p")
    with pytest.raises(ConfigError, match=r"time_limit must be a positive number of seconds.*got"):
        predictor.fit(table, time_limit=time_limit)  # type: ignore[arg-type]
    assert not (tmp_path / "p").exists()


def test_misspelled_label_suggests_the_closest(table: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"train_data has no column 'lable'.*Did you mean \"label\"\?"):
        MultiModalPredictor(label="lable", path=tmp_path / "p").fit(table)


def test_label_all_missing(table: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"label column\(s\) \['label'\] have no values \(all missing\)"):
        MultiModalPredictor(label="label", path=tmp_path / "p").fit(table.assign(label=np.nan))


def test_table_with_no_rows(table: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="train_data has no rows"):
        MultiModalPredictor(label="label", path=tmp_path / "p").fit(table.head(0))


def test_fit_csv_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"file '.*nope\.csv' does not exist"):
        MultiModalPredictor(label="label", path=tmp_path / "p").fit(tmp_path / "nope.csv")


# ---------------------------------------------------------------- where a predictor may be saved
def test_saving_to_a_file_is_refused_before_training(table: pd.DataFrame, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    for path in (tmp_path / "notes.txt", tmp_path / "notes.txt" / "predictor"):
        with pytest.raises(ConfigError, match=r"Cannot save the predictor to .*notes\.txt' is a file"):
            MultiModalPredictor(label="label", path=path).fit(table)
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_a_directory_of_other_files_is_never_replaced(tmp_path: Path) -> None:
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "data.csv").write_text("a,b\n")
    with pytest.raises(ConfigError, match=r"directory holding other files \(\['data\.csv'\]\).*new or empty"):
        check_save_target(tmp_path / "project")
    assert (tmp_path / "project" / "data.csv").exists()
    (tmp_path / "empty").mkdir()
    check_save_target(tmp_path / "empty")  # empty, new and existing predictor directories are fine
    check_save_target(tmp_path / "new" / "deeper")


# ---------------------------------------------------------------- loading broken directories
def _predictor_json(folder: Path, content: str) -> Path:
    folder.mkdir()
    (folder / "predictor.json").write_text(content, encoding="utf-8")
    return folder


def test_load_a_directory_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(PredictorLoadError, match=r"No predictor at '.*nowhere': the directory does not exist"):
        MultiModalPredictor.load(tmp_path / "nowhere")


def test_load_a_file(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"\x00")
    with pytest.raises(PredictorLoadError, match=r"'.*model\.bin': it is a file; pass the predictor's directory"):
        MultiModalPredictor.load(tmp_path / "model.bin")


def test_load_a_directory_that_is_not_a_predictor(tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"")
    with pytest.raises(PredictorLoadError, match=r"'.*photos' is not a complete predictor: predictor\.json is missing"):
        MultiModalPredictor.load(tmp_path / "photos")


@pytest.mark.parametrize(("content", "message"), [
    ('{"format_version": 1, "config": ', r"predictor\.json in '.*' is not valid JSON"),
    ("[1, 2]", r"predictor\.json in '.*' must hold a JSON object"),
    ('{"problem_type": "binary"}', r"predictor\.json in '.*' has no valid format_version \(found None\).*damaged"),
    ('{"format_version": "1"}', r"has no valid format_version \(found '1'\)"),
    ('{"format_version": 1}', r"predictor\.json in '.*' is damaged or was edited \(KeyError\('label_columns'\)\)"),
], ids=["truncated", "not-an-object", "no-version", "string-version", "missing-keys"])
def test_load_corrupted_json(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(PredictorLoadError, match=message):
        load_state(_predictor_json(tmp_path / "p", content))


def test_load_a_newer_format_is_refused_with_upgrade_advice(tmp_path: Path) -> None:
    folder = _predictor_json(tmp_path / "p", json.dumps({"format_version": 999, "problem_type": "binary"}))
    expected = rf"format version 999; this automm-core reads up to {FORMAT_VERSION}\. Upgrade automm-core \(pip install"
    with pytest.raises(PredictorLoadError, match=expected):
        MultiModalPredictor.load(folder)


def test_image_helpers_do_not_touch_disk_for_missing_cells() -> None:
    assert read_image(None, ColumnType.IMAGE_PATH) == [] and read_image(pd.NA, ColumnType.IMAGE_BYTES) == []
    assert read_image(float("nan"), ColumnType.IMAGE_BASE64) == []
    assert read_image("not base64 !!", ColumnType.IMAGE_BASE64) == [None]
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="PNG")
    assert read_image(buffer.getvalue(), ColumnType.IMAGE_BYTES)[0] is not None
