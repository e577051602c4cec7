"""A fit killed with SIGKILL mid-training resumes with ``load(path, resume=True)``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from automm.core import MultiModalPredictor, PredictorLoadError
from automm.core.testing.tiny_models import tiny_hyperparameters

FIT_SCRIPT = """
import sys, pandas as pd, json
from automm.core import MultiModalPredictor
hp = json.loads(sys.argv[3])
MultiModalPredictor(label="label", path=sys.argv[2], hyperparameters=hp).fit(pd.read_csv(sys.argv[1]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_killed_fit_resumes_and_finishes(iris: pd.DataFrame, tiny_text_model: Path, tmp_path: Path) -> None:
    import json

    table = pd.concat([iris] * 4, ignore_index=True)
    table.to_csv(tmp_path / "train.csv", index=False)
    hp = tiny_hyperparameters(tiny_text_model, **{"optim.max_epochs": 4, "optim.checkpoint_every_n_steps": 3,
                                                  "optim.batch_size": 8, "optim.patience": 100})
    path = tmp_path / "predictor"
    process = subprocess.Popen([sys.executable, "-c", FIT_SCRIPT, str(tmp_path / "train.csv"), str(path),
                                json.dumps(hp)], env={**os.environ, "HF_HUB_OFFLINE": "1"},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    last = path / "training" / "checkpoints" / "last.ckpt"
    deadline = time.monotonic() + 240
    while not last.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert process.poll() is None, "the fit ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()

    with pytest.raises(PredictorLoadError, match="resume=True"):
        MultiModalPredictor.load(path)
    resumed = MultiModalPredictor.load(path, resume=True)
    assert resumed._resume_checkpoint is not None
    resumed.fit(table)
    summary = resumed.fit_summary
    assert 0 < summary["resumed_from_step"] < summary["steps"]

    loaded = MultiModalPredictor.load(path)
    assert not (path / "training").exists()
    pd.testing.assert_series_equal(loaded.predict(iris), resumed.predict(iris))
    assert loaded.evaluate(iris)["accuracy"] > 0.5
