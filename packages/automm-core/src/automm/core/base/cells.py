"""What every rule family counts as an empty cell."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def is_missing(value: Any) -> bool:
    """None, NaN and NA cells hold no value (an empty text, no image, the median, the unknown category)."""
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))
