"""Masks are checked against their images on every labelled row before training (validation and tuning rows too),
errors name the user's row and the files, and a failed fit leaves a saved segmenter's folder as it was."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from automm.core import MultiModalPredictor
from automm.core.data.splitting import split_rows
from automm.core.errors import InputError

from .conftest import TINY

SETTINGS = {"problem_type": "semantic_segmentation", "label": "label", "hyperparameters": {**TINY,
                                                                                           "optim.max_epochs": 1}}
WRONG_SIZE = r"row '{row}': mask '.*small\.png' is 40x30 px but image '.*\.jpg' is 96x96 px"


@pytest.fixture()
def small_mask(train_table: pd.DataFrame, tmp_path: Path) -> str:
    """A mask of 40x30 px (the images are 96x96), with the training masks' values."""
    Image.open(train_table["label"].iloc[2]).resize((40, 30), Image.NEAREST).save(tmp_path / "small.png")
    return str(tmp_path / "small.png")


def _labelled(table: pd.DataFrame, prefix: str) -> pd.DataFrame:
    return table.set_axis([f"{prefix}{i}" for i in range(len(table))])


def test_a_tuning_mask_of_another_size_is_refused_before_training(train_table: pd.DataFrame, small_mask: str,
                                                                   tmp_path: Path) -> None:
    tuning = _labelled(train_table.tail(8), "t")
    tuning.loc["t5", "label"] = small_mask
    path = tmp_path / "tuned"
    with pytest.raises(InputError, match="tuning_data: " + WRONG_SIZE.format(row="t5")):
        MultiModalPredictor(**SETTINGS, path=path).fit(train_table.head(16), tuning_data=tuning, seed=0)
    assert not (path / "training").exists()  # refused before anything was written


def test_a_validation_mask_of_another_size_is_refused_before_training(train_table: pd.DataFrame, small_mask: str,
                                                                       tmp_path: Path) -> None:
    rows = _labelled(train_table, "r")
    _, validation = split_rows(rows, None, 0.25, 0)  # the automatic split fit(holdout_frac=0.25, seed=0) makes
    rows.loc[validation.index[0], "label"] = small_mask
    path = tmp_path / "split"
    with pytest.raises(InputError, match="train_data: " + WRONG_SIZE.format(row=validation.index[0])):
        MultiModalPredictor(**SETTINGS, path=path).fit(rows, holdout_frac=0.25, seed=0)
    assert not (path / "training").exists()


def test_evaluate_names_the_row_and_files_of_a_mask_of_another_size(fitted: MultiModalPredictor,
                                                                     test_table: pd.DataFrame, small_mask: str) -> None:
    rows = _labelled(pd.concat([test_table] * 9), "e")  # 72 rows: more than one realtime batch
    rows.loc["e66", "label"] = small_mask
    with pytest.raises(InputError, match="evaluation data: " + WRONG_SIZE.format(row="e66")):
        fitted.evaluate(rows)
    task = fitted.state.task
    outputs = [np.zeros((2, 96, 96), np.float32)] * 2
    with pytest.raises(InputError, match=r"Mask '.*small\.png' \(row 1\) is 40x30 px but its image's output is 96x96"):
        task.score(outputs, np.asarray([test_table["label"].iloc[0], small_mask], dtype=object))


def _contents(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_failed_continued_fit_leaves_the_saved_segmenter_as_it_was(fitted: MultiModalPredictor,
                                                                      train_table: pd.DataFrame,
                                                                      tmp_path: Path) -> None:
    saved = Path(shutil.copytree(fitted.path, tmp_path / "saved"))
    before = _contents(saved)
    odd = np.asarray(Image.open(train_table["label"].iloc[0])).copy()
    odd[0, 0] = 7  # a value no training mask had: found only when the validation pass decodes the mask
    Image.fromarray(odd).save(tmp_path / "odd.png")
    tuning = _labelled(train_table.tail(8), "t")
    tuning.loc["t3", "label"] = str(tmp_path / "odd.png")
    with pytest.raises(InputError, match=r"odd\.png.*\[7\]"):
        MultiModalPredictor.load(saved).fit(train_table.head(16), tuning_data=tuning, seed=0)
    assert _contents(saved) == before
