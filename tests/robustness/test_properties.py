"""Property: on any small messy table, fit + predict either work (right shape, the caller's index) or raise
automm's own ``AutoMMError`` — never a bare pandas / numpy / torch exception.

Tables are random mixes of numeric columns (NaN, +-inf, values near 1e308), string columns (empty strings,
None, short categories, the odd phrase that reads as text) and a binary, multiclass or numeric label with
gaps, on 2 to 40 rows. Models are tiny and train one epoch, so each example takes well under a second.
Raise ``AUTOMM_PROPERTY_EXAMPLES`` to search harder locally.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from automm.core import MultiModalPredictor
from automm.core.errors import AutoMMError
from automm.core.testing.tiny_models import tiny_hyperparameters

EXAMPLES = int(os.environ.get("AUTOMM_PROPERTY_EXAMPLES", "15"))

NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),  # includes +-inf, NaN, subnormals and values near 1e308
    st.sampled_from([0.0, 1.0, -1.0, 1e300, -1e308, np.nan, np.inf, -np.inf]),
    st.floats(-100, 100),
)
STRINGS = st.sampled_from(["", "  ", None, "a", "b", "red", "blue", "Red", "x y", "the good food was very good"])


@st.composite
def feature_column(draw: st.DrawFn, rows: int) -> pd.Series:
    kind = draw(st.sampled_from(["float", "int", "string", "category", "bool", "numbers_as_strings", "mixed"]))
    if kind == "float":
        return pd.Series(draw(st.lists(NUMBERS, min_size=rows, max_size=rows)), dtype="float64")
    if kind == "int":
        return pd.Series(draw(st.lists(st.integers(-(2**40), 2**40), min_size=rows, max_size=rows)))
    if kind == "bool":
        return pd.Series(draw(st.lists(st.booleans(), min_size=rows, max_size=rows)))
    if kind == "numbers_as_strings":
        return pd.Series([None if v is None else repr(v) for v in
                          draw(st.lists(st.one_of(st.none(), NUMBERS), min_size=rows, max_size=rows))], dtype=object)
    if kind == "mixed":
        cell = st.one_of(STRINGS, NUMBERS, st.integers(-5, 5))
        return pd.Series(draw(st.lists(cell, min_size=rows, max_size=rows)), dtype=object)
    values = draw(st.lists(STRINGS, min_size=rows, max_size=rows))
    return pd.Series(values, dtype="category" if kind == "category" else object)


@st.composite
def label_column(draw: st.DrawFn, rows: int) -> tuple[pd.Series, str | None]:
    kind = draw(st.sampled_from(["binary", "multiclass", "numeric"]))
    if kind == "binary":
        classes = draw(st.sampled_from([["yes", "no"], [0, 1], [True, False], ["a", ""]]))
    elif kind == "multiclass":
        classes = draw(st.sampled_from([["a", "b", "c"], [0, 1, 2, 3, 4], ["x", "y", "z", "w", "1", "2"]]))
    if kind == "numeric":
        cell = st.one_of(st.floats(-1e6, 1e6), st.sampled_from([np.nan, 0.0, 1e300]))
    else:
        cell = st.one_of(st.sampled_from(classes), st.none()) if draw(st.booleans()) else st.sampled_from(classes)
    values = draw(st.lists(cell, min_size=rows, max_size=rows))
    # Sometimes state the problem type, sometimes leave it to inference.
    problem_type = draw(st.sampled_from([None, "regression" if kind == "numeric" else kind]))
    series = pd.Series(values, dtype="float64" if kind == "numeric" else object)
    return series, problem_type


@st.composite
def tables(draw: st.DrawFn) -> tuple[pd.DataFrame, str | None]:
    rows = draw(st.integers(2, 40))
    columns = draw(st.integers(1, 4))
    frame = pd.DataFrame({f"f{i}": draw(feature_column(rows)) for i in range(columns)})
    frame["label"], problem_type = draw(label_column(rows))
    index = draw(st.sampled_from(["range", "shuffled", "strings"]))
    if index == "shuffled":
        frame.index = np.random.default_rng(rows).permutation(rows) + 100
    elif index == "strings":
        frame.index = [f"row{i}" for i in range(rows)]
    return frame, problem_type


@pytest.fixture(scope="module")
def hyperparameters(tiny_text_model: Path) -> dict:
    return tiny_hyperparameters(tiny_text_model, **{
        "optim.max_epochs": 1, "optim.batch_size": 8, "optim.top_k": 1, "model.tabular.hidden_size": 8,
        "model.fusion.hidden_size": 8, "env.accelerator": "cpu",
    })


@settings(max_examples=EXAMPLES, deadline=None, derandomize=False, print_blob=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(case=tables())
def test_fit_and_predict_work_or_raise_automm_errors(case: tuple[pd.DataFrame, str | None],
                                                      hyperparameters: dict) -> None:
    frame, problem_type = case
    features = frame.drop(columns="label")
    with tempfile.TemporaryDirectory() as folder:
        predictor = MultiModalPredictor(label="label", problem_type=problem_type, path=Path(folder) / "p",
                                        hyperparameters=hyperparameters)
        try:
            predictor.fit(frame, seed=0)
        except AutoMMError as err:
            event(f"refused: {type(err).__name__}")
            return  # a clear refusal is a correct outcome; any other exception fails the test
        event(f"fitted: {predictor.problem_type}")
        predictions = predictor.predict(features)
        assert isinstance(predictions, pd.Series) and predictions.name == "label"
        assert predictions.index.equals(frame.index)
        if predictor.class_labels is not None:
            assert set(predictions) <= set(predictor.class_labels)
            proba = predictor.predict_proba(features)
            assert proba.shape == (len(frame), len(predictor.class_labels)) and proba.index.equals(frame.index)
            assert np.isfinite(proba.to_numpy()).all() and np.allclose(proba.sum(axis=1), 1.0, atol=1e-5)
        else:
            assert predictions.dtype.kind == "f"
        # The saved copy reloads and predicts the same; rows in another order keep their own index. (Values on
        # reordered rows are not compared: float32 batch order changes the last bits, which regression
        # decoding scales up when labels reach 1e300.)
        reloaded = MultiModalPredictor.load(predictor.path)
        pd.testing.assert_series_equal(reloaded.predict(features), predictions)
        reversed_rows = features.iloc[::-1]
        assert reloaded.predict(reversed_rows).index.equals(reversed_rows.index)
