"""The numeric and categorical transforms read column arrays directly: same values as the pandas route, every dtype."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from automm.core.base.tabular import CategoricalProcessor, NumericalProcessor, _as_category_strings, parse_numbers

DATES = ["2020-01-01", None, "2021-01-01", "2020-01-01"]
COLUMNS = {
    "str": pd.Series(["a", None, "1", "b"], dtype="str"),
    "string": pd.Series(["a", None, "1", "b"], dtype="string"),
    "string_pyarrow": pd.Series(["a", None, "1.5", "b"], dtype="string[pyarrow]"),
    "object": pd.Series(["a", 1, 1.0, None], dtype=object),
    "numbers_as_text": pd.Series(["1.5", "x", "1e400", None], dtype=object),
    "category": pd.Series(pd.Categorical(["x", None, "1", "x"])),
    "numeric_category": pd.Series(pd.Categorical([1.0, None, 2.5, 1.0])),
    "Int64": pd.Series([1, None, 3, 1], dtype="Int64"),
    "Float64": pd.Series([1.0, None, 3.5, 1], dtype="Float64"),
    "boolean": pd.Series([True, None, False, True], dtype="boolean"),
    "float": pd.Series([1.0, np.nan, 2.5, np.inf]),
    "int": pd.Series([1, 2, 3, 2**62]),
    "uint": pd.Series([1, 2, 3, 2**63], dtype="uint64"),
    "bool": pd.Series([True, False, True, False]),
    "datetime": pd.Series(pd.to_datetime(DATES)),
    "datetime_tz": pd.Series(pd.to_datetime(DATES).tz_localize("UTC")),
    "timedelta": pd.Series(pd.to_timedelta(["1s", None, "2s", "1s"])),
    "period": pd.Series(pd.period_range("2020-01", periods=4, freq="M")),
    "interval": pd.Series(pd.interval_range(0, 4)),
    "int64_pyarrow": pd.Series([1, None, 3, 1], dtype="int64[pyarrow]"),
    "double_pyarrow": pd.Series([1.0, None, 3.5, 1], dtype="double[pyarrow]"),
    "sparse": pd.Series(pd.arrays.SparseArray([1.0, np.nan, 0.0, 1.0])),
}


@pytest.mark.parametrize("name", list(COLUMNS))
def test_category_ids_are_those_of_the_category_strings(name: str) -> None:
    column = COLUMNS[name]
    processor = CategoricalProcessor.fit(pd.DataFrame({"c": column.iloc[[0, 2]]}), ["c"])
    data = pd.DataFrame({"other": 0, "c": column.set_axis([9, 7, 5, 3])})
    expected = _as_category_strings(column).map(processor._lookups[0]).fillna(0).to_numpy(dtype=np.int64)
    np.testing.assert_array_equal(processor.transform(data)[:, 0], expected)


@pytest.mark.parametrize("name", [n for n in COLUMNS if n not in ("period", "interval", "datetime_tz")])
def test_numeric_values_are_those_pandas_parses(name: str) -> None:
    column = COLUMNS[name]
    processor = NumericalProcessor(["c"], medians=[0.0], means=[0.0], stds=[1.0], clip=1e300)
    data = pd.DataFrame({"c": column, "other": "x"})
    parsed = np.array(parse_numbers(column).to_numpy(dtype=np.float64, na_value=np.nan))
    parsed[~np.isfinite(parsed)] = 0.0  # the median
    np.testing.assert_array_equal(processor.transform(data)[:, 0], parsed.astype(np.float32))
