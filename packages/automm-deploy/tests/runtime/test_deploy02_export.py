"""An export written by automm-deploy 0.2 (from a predictor of automm-core 0.4) runs with this runtime and answers
as automm-deploy 0.2 did (the fixture and its answers: tests/compat/, written by automm 0.4 itself)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from automm.deploy import load

FIXTURE = Path(__file__).resolve().parents[4] / "tests" / "compat" / "format4" / "multimodal"


def test_a_deploy02_export_answers_as_it_did() -> None:
    rows = pd.read_json(FIXTURE / "rows.json", orient="records")
    rows["image"] = [str(FIXTURE / path) for path in rows["image"]]
    expected = json.loads((FIXTURE / "expected_export.json").read_text())
    model = load(FIXTURE / "export_deploy02")
    assert model.predict(rows).tolist() == expected["predict"]
    proba = model.predict_proba(rows)
    assert sorted(map(str, proba.columns)) == sorted(expected["predict_proba"])
    for column, values in expected["predict_proba"].items():
        np.testing.assert_allclose(proba[column].to_numpy(), values, rtol=1e-4, atol=1e-5)
