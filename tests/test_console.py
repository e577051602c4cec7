"""What a fit prints: one progress bar and a summary by default, nothing at verbosity 0, no framework chatter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from automm.core import ConfigError, MultiModalPredictor

# A fresh interpreter, as a user's script: Lightning attaches its own console handler only when the root
# logger has none, which is never the case inside pytest.
FIT = """
import logging, sys, warnings
import lightning.pytorch  # its import adds warning filters of its own
import numpy as np, pandas as pd
from automm.core import MultiModalPredictor
from automm.core.testing.tiny_models import tiny_hyperparameters

rng = np.random.default_rng(0)
table = pd.DataFrame({{"size": rng.normal(size=64), "colour": rng.choice(["red", "blue"], 64),
                      "review": rng.choice(["good food", "bad taste", "a great product"], 64),
                      "label": rng.choice(["a", "b"], 64)}})
filters = list(warnings.filters)
predictor = MultiModalPredictor(label="label", path=sys.argv[1], verbosity={verbosity})
predictor.fit(table, hyperparameters=tiny_hyperparameters(sys.argv[2]), column_types={{"review": "text"}})
assert logging.getLogger("lightning.pytorch").level == logging.INFO, "fit must restore Lightning's logger"
assert warnings.filters == filters, "fit must restore the warning filters"
"""
CHATTER = ("Tip", "litlogger", "GPU available", "TPU available", "LeafSpec", "Trainer(", "`Trainer.fit` stopped",
           "Epoch 0", "Validation", "Loading weights")


def _fit_output(verbosity: int, path: Path, text_model: Path) -> str:
    done = subprocess.run([sys.executable, "-c", FIT.format(verbosity=verbosity), str(path), str(text_model)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def test_default_fit_prints_one_progress_bar_and_a_summary(tmp_path: Path, tiny_text_model: Path) -> None:
    output = _fit_output(2, tmp_path / "p", tiny_text_model)
    assert not [text for text in CHATTER if text in output], output
    bars = {line.split(":")[0] for line in output.replace("\r", "\n").splitlines() if "%|" in line}
    assert bars == {"fit"}, output
    summary = output[output.index("AutoMM fit: binary, "):]
    assert "numerical: size; categorical: colour; text: review" in summary
    assert f"text {tiny_text_model}, tabular mlp, mlp fusion" in summary
    assert "2 epoch(s), 6 step(s), stopped by max epochs" in summary
    assert "validation roc_auc" in summary and f"saved to  {tmp_path / 'p'}" in summary


def test_verbosity_0_fit_prints_nothing(tmp_path: Path, tiny_text_model: Path) -> None:
    assert _fit_output(0, tmp_path / "p", tiny_text_model) == ""


@pytest.mark.parametrize("verbosity", [-1, 5, 2.5, True, "2"])
def test_verbosity_outside_0_to_4_is_refused(verbosity: object) -> None:
    with pytest.raises(ConfigError, match=r"from 0 \(silent\) to 4"):
        MultiModalPredictor(label="label", verbosity=verbosity)
