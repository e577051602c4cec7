"""The runtime reads image cells in any form as the torch predictor does, and names an unreadable row."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automm.deploy import load
from automm.deploy.errors import InputError


def _as(form: str, path: object) -> object:
    if not isinstance(path, str):
        return path
    data = Path(path).read_bytes()
    return {"bytes": data, "base64": base64.b64encode(data).decode(),
            "data_uri": "data:image/png;base64," + base64.b64encode(data).decode()}[form]


@pytest.mark.parametrize("form", ["bytes", "base64", "data_uri"])
def test_bytes_and_base64_in_a_path_column_give_the_torch_predictors_answers(form: str, fitted: dict,
                                                                            exported: dict,
                                                                            table: pd.DataFrame) -> None:
    predictor, model = fitted["image"], load(exported["image"])
    assert predictor.column_types == {"image": "image_path"}
    paths = table[["image"]].iloc[100:]
    rows = paths.assign(image=[_as(form, cell) for cell in paths["image"]])
    expected = predictor.predict_proba(paths)
    pd.testing.assert_frame_equal(predictor.predict_proba(rows), expected)  # the torch predictor reads them too
    np.testing.assert_allclose(model.predict_proba(rows).to_numpy(), expected.to_numpy(), atol=1e-4, rtol=0)
    assert (np.asarray(model.predict(rows)) == np.asarray(predictor.predict(rows))).all()


@pytest.mark.parametrize("batch_size", [None, 1])  # one graph call, or a call per row (checked after the last)
def test_a_cell_that_is_no_image_names_its_column_and_row(exported: dict, tmp_path: Path,
                                                          batch_size: int | None) -> None:
    model = load(exported["image"], batch_size=batch_size)
    with pytest.raises(InputError, match=r"no row has a readable image in column\(s\) \['image'\]: row 0 \(column "
                                         r"'image': int value 12345 is not an image"):
        model.predict(pd.DataFrame({"image": pd.Series([12345, None], dtype=object)}))
    with pytest.raises(InputError, match=r"row 'b' \(column 'image': file not found"):
        model.predict(pd.DataFrame({"image": [str(tmp_path / "gone.png")]}, index=["b"]))


@pytest.mark.parametrize("batch_size", [None, 3])
def test_some_unreadable_rows_are_warned_about(exported: dict, table: pd.DataFrame, batch_size: int | None) -> None:
    rows = table[["image"]].iloc[100:104].astype(object)
    rows.iloc[2, 0] = b"not an image"
    with pytest.warns(UserWarning, match=r"1 of 4 row\(s\) have no readable image .*row 102 .*bytes that are not"):
        assert len(load(exported["image"], batch_size=batch_size).predict(rows)) == 4
