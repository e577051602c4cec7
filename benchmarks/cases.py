"""The benchmark cases: which dataset, how big, how long to train, how many latency samples."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import datasets

Loader = Callable[[bool, Path], tuple[pd.DataFrame, pd.DataFrame]]


@dataclass(frozen=True)
class Sizes:
    """Everything that changes between a full run and ``--quick``."""

    time_limit: float  # seconds, passed to fit
    single_calls: int  # single-row predict calls timed (median reported)
    batch_rows: int  # rows in the batch-predict measurement
    batch_repeats: int  # batch measurements (median reported)


@dataclass(frozen=True)
class Case:
    name: str
    description: str
    label: str
    load: Loader  # (quick, work_dir) -> (train, test)
    full: Sizes
    quick: Sizes
    hyperparameters: dict[str, Any] = field(default_factory=dict)

    def sizes(self, quick: bool) -> Sizes:
        return self.quick if quick else self.full

    def hyperparameters_for(self, quick: bool) -> dict[str, Any]:
        """Quick runs also cap epochs so that a tiny table cannot train for the whole limit."""
        return {**self.hyperparameters, **({"optim.max_epochs": 2} if quick else {})}


def _sample(frames: tuple[pd.DataFrame, pd.DataFrame], n_train: int,
            n_test: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random rows (fixed seed) of each split."""
    train, test = frames
    return train.sample(n=n_train, random_state=0), test.sample(n=n_test, random_state=0)


def _fine_foods(quick: bool, work: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    return _sample(datasets.fine_foods(), 160, 60) if quick else datasets.fine_foods()


def _fashion(quick: bool, work: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    return datasets.fashion_mnist(*((160, 60) if quick else (2000, 500)), image_dir=work / "fashion-mnist")


def _penguins(quick: bool, work: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    return datasets.penguins()


def _mixed(quick: bool, work: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    return datasets.mixed_table(*((160, 60) if quick else (1000, 250)), image_dir=work / "fashion-mnist")


QUICK = Sizes(time_limit=20, single_calls=5, batch_rows=100, batch_repeats=1)
SMALL_IMAGES = {"model.image.image_size": 64}

CASES: dict[str, Case] = {
    case.name: case
    for case in (
        Case("fine_foods", "Amazon fine-food reviews (text: review, product); label score (great/other)", "score",
             _fine_foods, Sizes(time_limit=300, single_calls=30, batch_rows=1000, batch_repeats=1), QUICK),
        Case("fashion_mnist", "Fashion-MNIST sample (2,000 train / 500 test PNGs, 10 classes), images at 64 px",
             "label", _fashion, Sizes(time_limit=180, single_calls=50, batch_rows=1000, batch_repeats=2), QUICK,
             SMALL_IMAGES),
        Case("penguins", "Palmer penguins (numeric + categorical, some missing); label species", "species",
             _penguins, Sizes(time_limit=60, single_calls=100, batch_rows=1000, batch_repeats=5), QUICK),
        Case("mixed_table", "Fashion-MNIST image (64 px) + fine-food review + numeric column (1,000 train / 250 "
             "test); label needs both", "label", _mixed,
             Sizes(time_limit=180, single_calls=30, batch_rows=500, batch_repeats=1), QUICK, SMALL_IMAGES),
    )
}
