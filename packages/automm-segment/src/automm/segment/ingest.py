"""Segmentation data as a table: an ``image`` column and a label column of mask image paths.

A CSV's relative paths are resolved against the CSV's folder when they do not exist from the working
directory (AutoGluon-MM's segmentation data ships CSVs with paths relative to themselves).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from automm.core.plugin import read_table

IMAGE_COLUMN = "image"


def read_segmentation_data(data: Any, role: str) -> pd.DataFrame:
    """The table, with relative image and mask paths of a CSV file resolved against its folder."""
    frame = read_table(data, role)
    if isinstance(data, (str, Path)):
        folder = Path(data).expanduser().resolve().parent
        frame = frame.copy()
        for column in frame.columns:
            frame[column] = frame[column].map(lambda value: _resolved(value, folder))
    return frame


def _resolved(value: Any, folder: Path) -> Any:
    if not isinstance(value, str) or not value or Path(value).is_absolute() or Path(value).exists():
        return value
    candidate = folder / value
    return str(candidate) if candidate.exists() else value
