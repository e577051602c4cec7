"""Image cells in any form (a path, bytes, base64, a data: URI, a PIL image, pixels, a list of those) in any image
column, and rows whose every image is unreadable reported at fit and predict."""

from __future__ import annotations

import base64
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.datasets import load_digits

from automm.core import MultiModalPredictor
from automm.core.base.images import check_image_rows, read_cell, unreadable_rows
from automm.core.data.column_types import ColumnType, detect_column_types
from automm.core.errors import InputError
from automm.core.testing import fixtures
from automm.core.testing.tiny_models import tiny_hyperparameters

tiny_text_model = fixtures.tiny_text_model


def _png(path: Path, value: int = 200, size: int = 12) -> str:
    Image.new("RGB", (size, size), (value, 0, 255 - value)).save(path)
    return str(path)


@pytest.fixture(scope="module")
def png(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _png(tmp_path_factory.mktemp("one") / "red.png")


def _as(form: str, path: str):
    data = Path(path).read_bytes()
    return {"path": path, "bytes": data, "bytearray": bytearray(data), "base64": base64.b64encode(data).decode(),
            "data_uri": "data:image/png;base64," + base64.b64encode(data).decode(),
            "pil": Image.open(path).copy(), "array": np.asarray(Image.open(path))}[form]


@pytest.mark.parametrize("form", ["path", "bytes", "bytearray", "base64", "data_uri", "pil", "array"])
@pytest.mark.parametrize("kind", ["image_path", "image_bytes", "image_base64"])
def test_every_form_reads_the_same_pixels_in_every_image_column(png: str, form: str, kind: str) -> None:
    [image] = read_cell(_as(form, png), kind)
    assert image is not None and image.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(image), np.asarray(Image.open(png).convert("RGB")))


def test_a_list_cell_holds_several_images_of_any_form(png: str) -> None:
    images = read_cell([png, _as("bytes", png), _as("base64", png)], "image_path")
    assert len(images) == 3 and all(image is not None for image in images)
    assert len(read_cell(np.array([png, _as("base64", png)], dtype=object), "image_bytes")) == 2


@pytest.mark.parametrize("array", [np.full((4, 4), 65535, np.uint16), np.ones((4, 4, 3), np.float32),
                                   np.full((4, 4, 1), 255, np.uint8), np.full((4, 4, 4), 255, np.uint8)])
def test_pixel_arrays_of_any_depth_are_read(array: np.ndarray) -> None:
    [image] = read_cell(array, "image_bytes")
    assert image is not None and image.getpixel((0, 0)) == (255, 255, 255)


def test_arrays_that_are_no_pixels_are_unreadable() -> None:
    assert read_cell(np.zeros((2, 2, 2, 2)), "image_path") == [None]
    assert read_cell(np.array(["a", "b"]), "image_path") == [None]


def test_unreadable_rows_are_named_with_the_reason(png: str, tmp_path: Path) -> None:
    text = tmp_path / "notes.png"
    text.write_bytes(b"not an image")
    cells = [[png, str(tmp_path / "gone.jpg"), b"\x00\x01junk", str(text), 12345, None]]
    found, any_readable = unreadable_rows(cells, ["photo"], ["image_path"], ["a", "b", "c", "d", "e", "f"])
    assert any_readable
    assert found[0].startswith("row 'b' (column 'photo': file not found")
    assert "row 'c'" in found[1] and "bytes that are not an image" in found[1]
    assert "row 'd'" in found[2] and "not an image" in found[2]
    assert "row 'e'" in found[3] and "int value 12345 is not an image" in found[3]
    assert len(found) == 4  # the missing cell is not unreadable


def test_some_unreadable_rows_warn_and_all_unreadable_rows_are_refused(png: str, tmp_path: Path) -> None:
    gone = str(tmp_path / "gone.png")
    with pytest.warns(UserWarning, match=r"data: 1 of 2 row\(s\) have no readable image .*row 7 .*file not found"):
        check_image_rows([[png, gone]], ["photo"], ["image_path"], [3, 7], "data")
    with pytest.raises(InputError, match=r"data: no row has a readable image in column\(s\) \['photo'\]: row 3"):
        check_image_rows([[gone, gone]], ["photo"], ["image_path"], [3, 7], "data")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_image_rows([[png, None]], ["photo"], ["image_path"], [3, 7], "data")  # a missing image is no problem


def test_detection_keeps_its_types_for_new_forms(tmp_path: Path) -> None:
    pngs = [_png(tmp_path / f"{value}.png", value) for value in (0, 100, 200)]
    frame = pd.DataFrame({"uri": [_as("data_uri", p) for p in pngs], "pil": [_as("pil", p) for p in pngs],
                          "raw": [_as("bytes", p) for p in pngs], "label": [0, 1, 0]})
    decisions = detect_column_types(frame, ["label"])
    assert [decisions[c].type for c in ("uri", "pil", "raw")] == [ColumnType.IMAGE_BASE64, ColumnType.IMAGE_BYTES,
                                                                 ColumnType.IMAGE_BYTES]


@pytest.mark.parametrize(("name", "kind"), [("image_bytearray", "image_bytes"), ("image_base64_str", "image_base64"),
                                            ("text_ner", "text"), ("image_path", "image_path")])
def test_autogluon_column_type_names_are_synonyms(name: str, kind: str) -> None:
    frame = pd.DataFrame({"x": ["a b c", "d e f"], "label": [0, 1]})
    assert detect_column_types(frame, ["label"], {"x": name})["x"].type.value == kind


@pytest.mark.parametrize("name", ["document", "document_image", "document_pdf"])
def test_document_types_are_refused_with_the_reason(name: str) -> None:
    frame = pd.DataFrame({"x": ["a", "b"], "label": [0, 1]})
    with pytest.raises(InputError, match=r"no document modality.*'image_path'.*'text'"):
        detect_column_types(frame, ["label"], {"x": name})


@pytest.fixture(scope="module")
def digits(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """60 scikit-learn digits (0 and 1) written as PNG files."""
    folder = tmp_path_factory.mktemp("digits")
    data = load_digits()
    keep = np.flatnonzero(data.target < 2)[:60]
    paths = []
    for n, i in enumerate(keep):
        Image.fromarray((data.images[i] * 255 / 16).astype(np.uint8)).resize((16, 16)).save(folder / f"{n}.png")
        paths.append(str(folder / f"{n}.png"))
    return pd.DataFrame({"image": paths, "label": data.target[keep]})


@pytest.fixture(scope="module")
def predictor(digits: pd.DataFrame, tiny_text_model: Path, tmp_path_factory: pytest.TempPathFactory,
              ) -> MultiModalPredictor:
    predictor = MultiModalPredictor(label="label", path=tmp_path_factory.mktemp("p") / "digits",
                                    hyperparameters=tiny_hyperparameters(tiny_text_model, **{"optim.max_epochs": 1}))
    return predictor.fit(digits.iloc[:40], seed=0)


def test_a_column_trained_on_paths_predicts_the_same_on_bytes_and_base64(predictor: MultiModalPredictor,
                                                                         digits: pd.DataFrame) -> None:
    test = digits.iloc[40:].reset_index(drop=True)
    assert predictor.column_types == {"image": "image_path"}
    on_paths = predictor.predict_proba(test.drop(columns="label"))
    for form in ("bytes", "base64", "data_uri"):
        cells = test.assign(image=[_as(form, p) for p in test["image"]])
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # every image is read: nothing to report
            pd.testing.assert_frame_equal(predictor.predict_proba(cells.drop(columns="label")), on_paths)
            assert predictor.evaluate(cells) == predictor.evaluate(test)
            np.testing.assert_array_equal(predictor.extract_embedding(cells), predictor.extract_embedding(test))


def test_unreadable_rows_are_reported_at_predict_evaluate_and_fit(predictor: MultiModalPredictor,
                                                                  digits: pd.DataFrame, tmp_path: Path,
                                                                  tiny_text_model: Path) -> None:
    test = digits.iloc[40:45].copy()
    test.loc[test.index[1], "image"] = str(tmp_path / "gone.png")
    with pytest.warns(UserWarning, match=r"1 of 5 row\(s\) have no readable image in column\(s\) \['image'\]: row 41"):
        predictor.predict(test)
    with pytest.warns(UserWarning, match="row 41"):
        predictor.evaluate(test)
    broken = test.assign(image=[12345] * 5)
    with pytest.raises(InputError, match=r"no row has a readable image .*row 40 \(column 'image': int value 12345 is"):
        predictor.predict(broken)
    fresh = MultiModalPredictor(label="label", path=tmp_path / "p",
                                hyperparameters=tiny_hyperparameters(tiny_text_model))
    gone = digits.assign(image=[str(tmp_path / "gone.png")] * len(digits))
    with pytest.raises(InputError, match="train_data: no row has a readable image"):
        fresh.fit(gone, column_types={"image": "image_path"}, time_limit=30)
