"""Checks of a dense-vision task's inputs before any image is read."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import InputError


def check_image_paths(features: pd.DataFrame, column: str, role: str, hint: str) -> None:
    """Every cell of ``column`` is a path naming a file that exists; ``hint`` says how relative paths resolve.

    Raises:
        InputError: naming the row and the path, e.g. ``hint`` "COCO file_names are relative to the JSON file's
            folder".
    """
    for row, path in features[column].items():
        if not isinstance(path, (str, Path)) or not Path(path).is_file():
            raise InputError(f"{role}: image {path!r} at row {row!r} does not exist. Fix the path ({hint}) or remove "
                             "the row.")
