"""The runtime's image readers take every cell form the torch predictor takes, and name a cell that is no image."""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from automm.core.base.rules import versioned
from automm.deploy.errors import InputError
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
