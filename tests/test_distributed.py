"""Two CPU processes (DDP over gloo) train a predictor, from ``python -c`` and from a plain script.

Slow: run with ``nox -s slow``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from automm.core import MultiModalPredictor

SCRIPT = """
import sys
from sklearn.datasets import load_iris
from automm.core import MultiModalPredictor
data = load_iris(as_frame=True).frame
hp = {"env.devices": 2, "env.accelerator": "cpu", "optim.max_epochs": 6, "optim.lr": 1e-3}
predictor = MultiModalPredictor(label="target", problem_type="multiclass", path=sys.argv[1], hyperparameters=hp,
                                verbosity=3)  # 3: Lightning reports the processes it started
predictor.fit(data, seed=0)
print("ACCURACY", predictor.evaluate(data)["accuracy"])
"""

# 31 tuning rows over 2 processes: Lightning's default sampler would pad one shard with a repeated row.
AUC_SCRIPT = """
import sys
import numpy as np
import pandas as pd
from automm.core import MultiModalPredictor
rng = np.random.default_rng(0)
x = rng.normal(size=(200, 3))
data = pd.DataFrame(x, columns=["a", "b", "c"]).assign(y=(x[:, 0] + rng.normal(0, 1.5, 200) > 0).astype(int))
hp = {"env.devices": 2, "env.accelerator": "cpu", "optim.max_epochs": 2, "optim.top_k": 1}
predictor = MultiModalPredictor(label="y", problem_type="binary", path=sys.argv[1], hyperparameters=hp)
predictor.fit(data.iloc[:169], tuning_data=data.iloc[169:], seed=0)
print("LOGGED", predictor.fit_summary["best_val_score"], "WHOLE", predictor.evaluate(data.iloc[169:])["roc_auc"])
"""


def _check(result: subprocess.CompletedProcess, path: Path) -> None:
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Starting with 2 processes" in result.stderr + result.stdout
    accuracy = float(result.stdout.split("ACCURACY")[1].split()[0])
    assert accuracy > 0.8
    row = pd.DataFrame({"sepal length (cm)": [5.0], "sepal width (cm)": [3.4], "petal length (cm)": [1.5],
                        "petal width (cm)": [0.2]})
    assert MultiModalPredictor.load(path).predict(row).tolist() == [0]


@pytest.mark.slow
def test_ddp_from_python_dash_c(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "p")], capture_output=True, text=True,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=900)
    _check(result, tmp_path / "p")


@pytest.mark.slow
def test_ddp_from_script_without_main_guard(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    result = subprocess.run([sys.executable, str(script), str(tmp_path / "p")], capture_output=True, text=True,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=900)
    _check(result, tmp_path / "p")


@pytest.mark.slow
def test_ddp_validation_score_is_the_whole_tuning_sets(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-c", AUC_SCRIPT, str(tmp_path / "p")], capture_output=True, text=True,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    logged, whole = (float(result.stdout.split(name)[1].split()[0]) for name in ("LOGGED", "WHOLE"))
    assert logged == pytest.approx(whole, abs=1e-6)  # the best checkpoint's logged score, from 2 processes
