"""ensemble.budget: a fit with a time limit keeps training members in the time its first network left, weights them on
held-out selection rows, and saves, reloads and exports them as one predictor; "off" restores one network."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

from automm.core import MultiModalPredictor
from automm.core.ensemble.holdout import MIN_SELECTION_ROWS
from automm.core.testing.tiny_models import tiny_hyperparameters


@pytest.fixture(scope="module")
def cancer() -> pd.DataFrame:
    """Wisconsin breast cancer: 569 rows, 30 numeric columns, a binary label."""
    data = load_breast_cancer(as_frame=True)
    frame = data.frame.drop(columns="target").iloc[:, :8]
    frame["label"] = data.target_names[data.target.to_numpy()]
    return frame


def _hyperparameters(tiny_text_model: Path, **extra: object) -> dict[str, object]:
    """Tiny networks that early-stop soon; the preset's ``optim.max_epochs`` (a given one turns the policy off)."""
    tiny = {k: v for k, v in tiny_hyperparameters(tiny_text_model).items() if k != "optim.max_epochs"}
    return {**tiny, "optim.patience": 0, **extra}


def test_members_fill_the_budget_and_are_weighted_on_rows_none_stopped_on(
        cancer: pd.DataFrame, tiny_text_model: Path, tmp_path: Path) -> None:
    predictor = MultiModalPredictor(label="label", path=tmp_path / "p", verbosity=0,
                                    hyperparameters=_hyperparameters(tiny_text_model, **{"ensemble.size": 4}))
    predictor.fit(cancer, time_limit=300, holdout_frac=0.3)
    report = predictor.fit_summary["ensemble"]
    variants = [m["variant"] for m in report["members"]]
    # The FT-Transformer (the tabular-only default), the MLP, then a bag of whichever scored better on selection.
    assert variants[:2] == ["default", "tabular_mlp"] and len(variants) == 4
    best = max(report["members"][:2], key=lambda m: m["val_score"])["variant"]
    assert variants[2:] == [f"{best}_bag1", f"{best}_bag2"]
    assert report["stopped"] == "ensemble.size: 4 members trained"
    validation = round(len(cancer) * 0.3)
    assert abs(report["selection_rows"] - validation / 2) <= 1  # half the validation rows, held out
    assert predictor.fit_summary["validation_rows"] == validation
    weights = [m["weight"] for m in report["members"]]
    assert math.isclose(sum(weights), 1.0)
    # Members of one configuration (the base and its bags) are chosen together, so they share its weight equally.
    by_kind: dict[str, set[float]] = {}
    for member in report["members"]:
        by_kind.setdefault(json.dumps(member["overrides"]), set()).add(round(member["weight"], 9))
    assert all(len(kind_weights) == 1 for kind_weights in by_kind.values())
    network = json.loads((tmp_path / "p" / "network.json").read_text())
    kept = [w for w in weights if w > 0]
    assert (network["kind"], network.get("weights")) == (("ensemble", kept) if len(kept) > 1 else ("multimodal", None))
    reloaded = MultiModalPredictor.load(tmp_path / "p")
    pd.testing.assert_frame_equal(reloaded.predict_proba(cancer), predictor.predict_proba(cancer))
    assert reloaded.fit_summary["ensemble"] == report


def test_too_few_validation_rows_average_bags_of_the_first_configuration(
        iris: pd.DataFrame, tiny_text_model: Path, tmp_path: Path) -> None:
    predictor = MultiModalPredictor(label="label", path=tmp_path / "p", verbosity=0,
                                    hyperparameters=_hyperparameters(tiny_text_model, **{"ensemble.size": 3}))
    predictor.fit(iris, time_limit=300)
    assert predictor.fit_summary["validation_rows"] < 2 * MIN_SELECTION_ROWS
    report = predictor.fit_summary["ensemble"]
    assert [m["variant"] for m in report["members"]] == ["default", "default_bag1", "default_bag2"]
    assert [m["weight"] for m in report["members"]] == pytest.approx([1 / 3] * 3)
    assert report["selection_rows"] == 0 and report["val_score"] is None
    assert predictor.predict(iris).isin(set(iris["label"])).all()


@pytest.mark.parametrize(("hyperparameters", "time_limit", "reason"), [
    ({"ensemble.budget": "off"}, 300, "ensemble.budget='off'"),
    ({}, None, "no time_limit: there is no budget to spend"),
    ({"optim.max_epochs": 1}, 300, "optim.max_epochs / optim.max_steps given: one network, trained as long as asked"),
])
def test_one_network_when_off_or_without_a_time_limit(cancer: pd.DataFrame, tiny_text_model: Path, tmp_path: Path,
                                                      hyperparameters: dict[str, object], time_limit: float | None,
                                                      reason: str) -> None:
    predictor = MultiModalPredictor(label="label", path=tmp_path / "p", verbosity=0,
                                    hyperparameters=_hyperparameters(tiny_text_model, **hyperparameters))
    predictor.fit(cancer, time_limit=time_limit, holdout_frac=0.3)
    summary = predictor.fit_summary
    assert "ensemble" not in summary and summary["ensemble_budget"] == reason
    assert summary["validation_rows"] == round(len(cancer) * 0.3)  # no selection slice taken out
    assert json.loads((tmp_path / "p" / "network.json").read_text())["kind"] == "multimodal"


def test_a_continued_fit_trains_its_one_network(cancer: pd.DataFrame, tiny_text_model: Path, tmp_path: Path) -> None:
    predictor = MultiModalPredictor(label="label", path=tmp_path / "p", verbosity=0,
                                    hyperparameters=_hyperparameters(tiny_text_model))
    predictor.fit(cancer.iloc[:300])
    predictor.fit(cancer.iloc[300:], time_limit=300)
    assert predictor.fit_summary["ensemble_budget"] == "a continued fit trains its one network further"


def test_the_off_switch_trains_what_the_single_network_fit_trained(cancer: pd.DataFrame, tiny_text_model: Path,
                                                                   tmp_path: Path) -> None:
    """``ensemble.budget='off'`` with a time limit is the fit without a limit (same seed): the same network."""
    outputs = []
    for name, (extra, limit) in {"off": ({"ensemble.budget": "off"}, 300.0), "unlimited": ({}, None)}.items():
        predictor = MultiModalPredictor(label="label", path=tmp_path / name, verbosity=0,
                                        hyperparameters=_hyperparameters(tiny_text_model, **extra))
        predictor.fit(cancer.iloc[:240], time_limit=limit, seed=3)
        outputs.append(predictor.predict_proba(cancer).to_numpy())
    np.testing.assert_allclose(outputs[0], outputs[1], atol=1e-6)
