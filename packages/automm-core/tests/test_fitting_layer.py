"""The fitting layer's public pieces: data functions, settings, the one Deadline, and who imports the predictor."""

from __future__ import annotations

import math
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from automm.core.data.rows import encode_targets, feature_rows, labelled_rows
from automm.core.data.splitting import cap_rows, split_rows
from automm.core.discovery import read_rows
from automm.core.errors import ConfigError, InputError
from automm.core.fitting.settings import FitRows, PredictorSettings, label_columns
from automm.core.inference import score_outputs
from automm.core.metric import TaskMetric
from automm.core.training.budget import Deadline


class _Task:
    """Just what the row functions read from a task."""

    target_columns = None

    def __init__(self) -> None:
        self.checked: list[tuple[list[str], str]] = []

    def encode(self, labels: pd.DataFrame) -> np.ndarray:
        return labels.to_numpy().astype(np.int64)

    def check_inputs(self, features: pd.DataFrame, role: str) -> None:
        self.checked.append((list(features.columns), role))

    def check_targets(self, rows: pd.DataFrame, targets: np.ndarray, role: str) -> None:
        self.checked.append((list(rows.columns), role))


def test_labelled_rows_drop_missing_labels_and_keep_the_index() -> None:
    table = pd.DataFrame({"x": [1, 2, 3], "y": [0, None, 1]}, index=[10, 11, 12])
    assert list(labelled_rows(table, ["y"], "train_data").index) == [10, 12]
    with pytest.raises(InputError, match="train_data: label column"):
        labelled_rows(table.assign(y=None), ["y"], "train_data")
    with pytest.raises(InputError, match="has no rows"):
        labelled_rows(table.iloc[:0], ["y"], "tuning_data")
    with pytest.raises(InputError):
        labelled_rows(table, ["label"], "train_data")


def test_read_rows_reads_paths_and_tables(tmp_path) -> None:
    table = pd.DataFrame({"x": [1, 2], "y": ["a", "b"]})
    table.to_csv(tmp_path / "t.csv", index=False)
    pd.testing.assert_frame_equal(read_rows(tmp_path / "t.csv", "train_data"), table)
    pd.testing.assert_frame_equal(read_rows(table), table)


def test_feature_rows_subset_only_large_inputs_and_ask_the_task() -> None:
    task, table = _Task(), pd.DataFrame({"x": range(5), "y": range(5), "z": range(5)})
    assert list(feature_rows(table, ["x"], task, "data", realtime_max_rows=10).columns) == ["x", "y", "z"]
    assert list(feature_rows(table, ["x"], task, "data", realtime_max_rows=2).columns) == ["x"]
    assert task.checked == [(["x", "y", "z"], "data"), (["x"], "data")]
    with pytest.raises(InputError):
        feature_rows(table, ["w"], task, "data", realtime_max_rows=10)


def test_encode_targets_reads_the_label_columns_unless_the_task_names_others() -> None:
    task, table = _Task(), pd.DataFrame({"x": [5, 6], "y": [0, 1]})
    assert encode_targets(task, ["y"], table).tolist() == [[0], [1]]
    task.target_columns = ["y", "x"]
    assert encode_targets(task, ["y"], table).tolist() == [[0, 5], [1, 6]]
    assert task.checked == [(["x", "y"], "data"), (["x", "y"], "data")]  # the task checks targets against inputs
    encode_targets(task, ["y"], table, "tuning_data")
    assert task.checked[-1] == (["x", "y"], "tuning_data")


def test_split_rows_holds_out_a_fraction_and_checks_it() -> None:
    table = pd.DataFrame({"y": [0, 1] * 10})
    train, val = split_rows(table, table["y"].to_numpy(), 0.2, seed=0)
    assert len(val) == 4 and sorted(val["y"]) == [0, 0, 1, 1] and not set(train.index) & set(val.index)
    with pytest.raises(ConfigError, match="holdout_frac must be between 0 and 1"):
        split_rows(table, None, 1.5, seed=0)
    with pytest.raises(InputError, match="at least 2"):
        split_rows(table.iloc[:1], None, None, seed=0)
    assert len(cap_rows(table, 5, seed=0)) == 5 and len(cap_rows(table, 0, seed=0)) == 20


def test_settings_check_the_label_and_merge_the_shortcuts() -> None:
    assert label_columns("y", None) == ["y"] and label_columns(["a", "b"], None) == ["a", "b"]
    with pytest.raises(ConfigError, match="more than once"):
        label_columns(["a", "a"], None)
    settings = PredictorSettings.create("y", None, None, {"optim.lr": 0.1}, None,
                                        {"ensemble.enabled": True, "ensemble.size": None}, {})
    assert settings.hyperparameters == {"optim.lr": 0.1, "ensemble.enabled": True}
    merged = settings.with_overrides("medium_quality", {"optim.lr": 0.2})
    assert merged.presets == "medium_quality" and merged.hyperparameters["optim.lr"] == 0.2
    with pytest.raises(ConfigError, match="hyperparameters must be a dict"):
        PredictorSettings.create("y", None, None, [1], None, {}, {})
    rows = FitRows.read(settings, pd.DataFrame({"x": [1, 2, 3], "y": [1, None, 0]}))
    assert len(rows.train) == 2 and rows.tuning is None


@pytest.mark.parametrize("bad", [0, -1, math.inf, math.nan, "60", True])
def test_deadline_checks_the_time_limit_once(bad) -> None:
    with pytest.raises(ConfigError, match="time_limit must be a positive number"):
        Deadline(bad)


def test_a_deadline_shares_its_end_across_processes_and_members() -> None:
    clock = [100.0]
    deadline = Deadline(60, lambda: clock[0])
    clock[0] += 10
    assert deadline.within(5).remaining() == pytest.approx(5) and deadline.within(-1).remaining() > 0
    assert not Deadline(None).within(5).limited
    wall = Deadline(60).on_wall_clock(less=2)
    assert wall.clock is time.time and wall.remaining() == pytest.approx(58, abs=0.5) and wall.seconds == 60
    assert not Deadline(None).on_wall_clock(less=2).limited


def test_score_outputs_goes_through_the_accumulating_metric() -> None:
    def score(outputs: np.ndarray, targets: np.ndarray) -> dict[str, float]:
        return {"accuracy": float((outputs.argmax(axis=1) == targets).mean())}

    outputs, targets = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]), np.array([0, 1, 1])
    assert score_outputs(TaskMetric(score), outputs, targets) == pytest.approx(score(outputs, targets))


def test_hpo_and_distillation_do_not_import_the_predictor() -> None:
    """They call the fitting layer and the data functions, never MultiModalPredictor's privates."""
    code = ("import sys, automm.core.hpo.search, automm.core.hpo.trial, automm.core.distillation, "
            "automm.core.fitting.fitter, automm.core.fit_entry, automm.core.ensemble.fitting; "
            "print('automm.core.predictor' in sys.modules)")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "False", found.stderr
