"""The runtime's image readers take every cell form the torch predictor takes, and name a cell that is no image."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from automm.core.base.rules import versioned
from automm.deploy.errors import InputError
from automm.deploy.preprocess import MultimodalInputs
from automm.deploy.preprocess.images import ImageInputs
from automm.deploy.preprocess.letterbox import LetterboxInputs

RECIPE = {"columns": ["img"], "kinds": ["image_path"], "size": 4, "mean": [0.0, 0.0, 0.0], "std": [1.0, 1.0, 1.0],
          "max_images_per_row": 2, "draft_size": 1024, **versioned("image")}


def _png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (6, 4), (255, 0, 0)).save(buffer, format="PNG")
    return buffer.getvalue()


def _cells() -> list[object]:
    data = _png_bytes()
    return [data, base64.b64encode(data).decode(), "data:image/png;base64," + base64.b64encode(data).decode(),
            Image.open(io.BytesIO(data)), np.asarray(Image.open(io.BytesIO(data)))]


def test_a_path_column_reads_bytes_base64_pil_and_pixels() -> None:
    frame = pd.DataFrame({"img": _cells()})
    inputs = ImageInputs(RECIPE)
    inputs.check(frame)
    out = inputs(frame)
    assert out["image_mask"][:, 0].all()
    np.testing.assert_allclose(out["image_pixels"][:, 0], np.broadcast_to(out["image_pixels"][0, 0], (5, 3, 4, 4)))


def test_letterboxed_inputs_read_every_form_and_name_a_bad_cell() -> None:
    recipe = {"column": "img", "image_size": 8, "kind": "segmentation", **versioned("segmentation")}
    boxed = LetterboxInputs(recipe)(pd.DataFrame({"img": _cells()}))
    assert (boxed.sizes == [4, 6]).all()
    with pytest.raises(InputError, match=r"Column 'img', row 'r': '12345' cannot be read as an image \(int value"):
        LetterboxInputs(recipe)(pd.DataFrame({"img": [12345]}, index=["r"]))
    with pytest.raises(InputError, match="holds 2 images"):
        LetterboxInputs(recipe)(pd.DataFrame({"img": [_cells()[:2]]}))


@pytest.mark.parametrize("cell", [12345, 2.5, {"a": 1}, [7]], ids=["int", "float", "dict", "list"])
def test_a_cell_of_no_image_type_names_column_row_and_the_accepted_kinds(cell: object) -> None:
    frame = pd.DataFrame({"img": pd.Series([cell], index=["r7"], dtype=object)})
    accepted = r"give a file path, raw bytes, base64 \(optionally a data: URI\), a PIL image or a numpy array"
    with pytest.raises(InputError, match=rf"row 'r7' \(column 'img': \w+ value .* is not an image: {accepted}"):
        ImageInputs(RECIPE).check(frame)
    recipe = {"column": "img", "image_size": 8, "kind": "segmentation", **versioned("segmentation")}
    with pytest.raises(InputError, match=rf"Column 'img', row 'r7': .* is not an image: {accepted}"):
        LetterboxInputs(recipe)(frame)


def test_a_thread_pool_reads_many_rows_as_one_thread_does_in_row_order(tmp_path: Path) -> None:
    colours = [(i * 20, 255 - i * 20, 7) for i in range(12)]
    cells: list[object] = []
    for i, colour in enumerate(colours):
        Image.new("RGB", (6 + i, 4), colour).save(tmp_path / f"{i}.png")
        cells.append(str(tmp_path / f"{i}.png") if i % 3 else [_png_bytes(), str(tmp_path / f"{i}.png")])
    cells[5] = str(tmp_path / "missing.png")
    frame = pd.DataFrame({"img": cells}, index=[f"r{i}" for i in range(12)])
    pooled, alone = ImageInputs(RECIPE, threads=4)(frame), ImageInputs(RECIPE, threads=1)(frame)
    assert not pooled["image_mask"][5].any() and pooled["image_mask"].sum() == 11 + 4
    for name in ("image_pixels", "image_mask"):
        np.testing.assert_array_equal(pooled[name], alone[name])
    bad = pd.DataFrame({"img": [base64.b64encode(_png_bytes()).decode()] * 9 + ["nope", "no"]},
                       index=[f"r{i}" for i in range(11)])
    with pytest.raises(InputError, match="Column 'img', row 'r9'"):
        ImageInputs(RECIPE, allow_paths=False, threads=4)(bad)


def test_a_one_call_predict_opens_each_readable_image_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Image.new("RGB", (6, 4), (1, 2, 3)).save(tmp_path / "a.png")
    recipe = {"image": RECIPE}
    inputs = MultimodalInputs(recipe, tmp_path)
    opened: list[object] = []
    real_open = Image.open
    monkeypatch.setattr(Image, "open", lambda source, *a, **k: opened.append(source) or real_open(source, *a, **k))
    assert inputs(pd.DataFrame({"img": [str(tmp_path / "a.png")]}))["image_mask"].all()
    assert len(opened) == 1
    with pytest.warns(UserWarning, match=r"1 of 2 row\(s\) have no readable image .*row 1 \(column 'img': file not"):
        inputs(pd.DataFrame({"img": [str(tmp_path / "a.png"), str(tmp_path / "b.png")]}))
    with pytest.raises(InputError, match="no row has a readable image"):
        inputs(pd.DataFrame({"img": [str(tmp_path / "b.png")]}))
