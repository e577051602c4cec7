"""``automm fit`` / ``automm predict`` / ``automm evaluate`` from the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
from sklearn.datasets import load_breast_cancer


def _automm(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "automm.core.cli", *args], capture_output=True, text=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=600)


def test_fit_predict_evaluate(tmp_path: Path) -> None:
    data = load_breast_cancer(as_frame=True).frame.rename(columns=lambda c: c.replace(" ", "_"))
    data.iloc[:400].to_csv(tmp_path / "train.csv", index=False)
    data.iloc[400:].drop(columns="target").to_csv(tmp_path / "new.csv", index=False)
    data.iloc[400:].to_csv(tmp_path / "test.csv", index=False)
    out = tmp_path / "model"
    fit = _automm("fit", str(tmp_path / "train.csv"), "--label", "target", "--path", str(out),
                  "--hp", "optim.max_epochs=3", "--hp", "optim.lr=1e-3", "--hp", "model.tabular.hidden_size=32")
    assert fit.returncode == 0, fit.stderr[-2000:]
    assert json.loads(fit.stdout.split("saved to", 1)[1].split("\n", 1)[1])["epochs"] >= 1

    predict = _automm("predict", str(out), str(tmp_path / "new.csv"), "--output", str(tmp_path / "pred.csv"))
    assert predict.returncode == 0, predict.stderr[-2000:]
    predictions = pd.read_csv(tmp_path / "pred.csv", index_col=0)
    assert len(predictions) == len(data) - 400 and set(predictions["target"]) <= {0, 1}

    scores = json.loads(_automm("evaluate", str(out), str(tmp_path / "test.csv")).stdout)
    assert scores["roc_auc"] > 0.9


def test_cli_errors_are_one_clear_line(tmp_path: Path) -> None:
    result = _automm("fit", str(tmp_path / "missing.csv"), "--label", "y", "--path", str(tmp_path / "m"))
    assert result.returncode == 2
    assert "missing.csv" in result.stderr and "does not exist" in result.stderr
    assert "Traceback" not in result.stderr
