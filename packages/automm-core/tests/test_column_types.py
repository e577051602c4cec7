from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from automm.core.data.column_types import ColumnType, describe_column_types, detect_column_types
from automm.core.errors import InputError


def _png(path: Path | None = None, size: int = 4) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), "red").save(buffer, format="PNG")
    if path is not None:
        path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def test_detects_every_modality(tmp_path: Path) -> None:
    n = 40
    paths = [str(tmp_path / f"{i}.png") for i in range(n)]
    for p in paths:
        _png(Path(p))
    frame = pd.DataFrame({
        "id": np.arange(n),
        "price": np.linspace(0, 1, n)[::-1] * 3.7,
        "colour": ["red", "blue"] * (n // 2),
        "review": [f"this product was very good number {i}" for i in range(n)],
        "photos": [f"{a};{b}" for a, b in zip(paths, paths[::-1])],
        "raw": [_png(size=i + 1) for i in range(n)],
        "b64": [base64.b64encode(_png(size=i + 1)).decode() for i in range(n)],
        "empty": [None] * n,
        "constant": ["x"] * n,
        "sku": [f"SKU{i:05d}" for i in range(n)],
        "label": [0, 1] * (n // 2),
    })
    found = {c: d.type for c, d in detect_column_types(frame, ["label"]).items()}
    assert found == {
        "id": ColumnType.IDENTIFIER, "price": ColumnType.NUMERICAL, "colour": ColumnType.CATEGORICAL,
        "review": ColumnType.TEXT, "photos": ColumnType.IMAGE_PATH, "raw": ColumnType.IMAGE_BYTES,
        "b64": ColumnType.IMAGE_BASE64, "empty": ColumnType.NULL,
        "constant": ColumnType.NULL, "sku": ColumnType.IDENTIFIER,
    }
    report = describe_column_types(detect_column_types(frame, ["label"]))
    assert "photos" in report and "image_path" in report and "(not used)" in report


def test_overrides_win_and_are_validated() -> None:
    frame = pd.DataFrame({"code": ["a", "b"] * 10, "label": [0, 1] * 10})
    assert detect_column_types(frame, ["label"], {"code": "text"})["code"].type is ColumnType.TEXT
    with pytest.raises(InputError, match="not a column type"):
        detect_column_types(frame, ["label"], {"code": "txt"})
    with pytest.raises(InputError, match="task.box_column"):  # only a task declares prompt coordinates
        detect_column_types(frame, ["label"], {"code": "coordinates"})
    with pytest.raises(InputError, match="cod"):
        detect_column_types(frame, ["label"], {"cod": "text"})
