"""use_ensemble: variants trained within the budget, weighted by greedy selection, saved and reloaded like any
predictor; refused for problem types whose outputs cannot be averaged."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automm.core import ConfigError, MultiModalPredictor
from automm.core import presets as preset_registry
from automm.core.ensemble.variants import VARIANTS, Variant, build_member, plan_variants
from automm.core.persistence import load_state, save_state
from automm.core.testing.tiny_models import tiny_hyperparameters


def test_best_quality_turns_the_ensemble_on_and_use_ensemble_false_off() -> None:
    assert preset_registry.resolve("binary", "best_quality").ensemble.enabled
    assert not preset_registry.resolve("binary", "medium_quality").ensemble.enabled
    predictor = MultiModalPredictor(label="label", presets="best_quality", use_ensemble=False, ensemble_size=3)
    assert predictor.hyperparameters == {"ensemble.enabled": False, "ensemble.size": 3}


def test_ensemble_fit_predicts_reports_weights_and_reloads(digits_table: pd.DataFrame, tiny_text_model: Path,
                                                           tmp_path: Path) -> None:
    train, test = digits_table.iloc[:120], digits_table.iloc[200:]
    predictor = MultiModalPredictor(label="label", path=tmp_path / "p", presets="best_quality", ensemble_size=2,
                                    verbosity=0, hyperparameters=tiny_hyperparameters(tiny_text_model, **{
                                        "optim.max_epochs": 1}))
    predictor.fit(train, column_types={"caption": "text"}, time_limit=120)
    report = predictor.fit_summary["ensemble"]
    assert [m["variant"] for m in report["members"]] == ["default", "transformer_fusion"]
    weights = [m["weight"] for m in report["members"]]
    assert math.isclose(sum(weights), 1.0) and all(w >= 0 for w in weights)
    assert report["val_score"] >= max(m["val_score"] for m in report["members"])  # selection starts from the best
    network = json.loads((tmp_path / "p" / "network.json").read_text())
    assert network["kind"] == "ensemble" and network["weights"] == [w for w in weights if w > 0]
    assert set(predictor.predict(test)) <= {"high", "low"}
    reloaded = MultiModalPredictor.load(tmp_path / "p")
    pd.testing.assert_frame_equal(reloaded.predict_proba(test), predictor.predict_proba(test))
    np.testing.assert_array_equal(reloaded.extract_embedding(test), predictor.extract_embedding(test))
    assert reloaded.fit_summary["ensemble"] == report
    with pytest.raises(ConfigError, match="ensemble predictor cannot continue"):
        reloaded.fit(train)


def test_regression_ensemble_over_tabular_variants(iris: pd.DataFrame, tiny_text_model: Path, tmp_path: Path) -> None:
    predictor = MultiModalPredictor(label="petal_width", path=tmp_path / "p", use_ensemble=True, verbosity=0,
                                    hyperparameters=tiny_hyperparameters(tiny_text_model, **{"optim.max_epochs": 1}))
    predictor.fit(iris)
    assert [m["variant"] for m in predictor.fit_summary["ensemble"]["members"]] == ["default", "tabular_mlp"]
    assert predictor.predict(iris).shape == (len(iris),)
    reloaded = MultiModalPredictor.load(tmp_path / "p")
    pd.testing.assert_series_equal(reloaded.predict(iris), predictor.predict(iris))


def test_the_pool_plans_distinct_variants_and_refuses_one_that_changes_the_processors(
        iris: pd.DataFrame, tiny_text_model: Path, tmp_path: Path) -> None:
    predictor = MultiModalPredictor(label="label", use_ensemble=True,
                                    hyperparameters=tiny_hyperparameters(tiny_text_model))
    state = predictor._new_state(iris, None, None, None)
    # iris is numeric only: no fusion variants; "auto" is the FT-Transformer here, so only "tabular_mlp" differs
    assert [variant.name for variant, _ in plan_variants(state)] == ["default", "tabular_mlp"]
    save_state(state, tmp_path / "skeleton")  # as a fit does before training; a resumed fit starts from this
    loaded = load_state(tmp_path / "skeleton")  # lists the columns sorted, unlike the table
    for start in (state, loaded):
        for variant, config in plan_variants(start, VARIANTS):
            assert build_member(start, iris, variant, config).config == config
    z_scores = Variant("z_scores", {"model.tabular.numerical_transform": "standard"})
    with pytest.raises(ConfigError, match="'z_scores'.*share the predictor's processors"):
        build_member(state, iris, z_scores, state.config.override(z_scores.overrides))


def test_problem_types_that_cannot_be_averaged_refuse_use_ensemble(tiny_text_model: Path, tmp_path: Path) -> None:
    pairs = pd.DataFrame({"q": ["good food", "bad taste", "red cat", "blue dog"],
                          "r": ["great product", "terrible food", "a cat", "a dog"], "label": [1, 1, 1, 1]})
    predictor = MultiModalPredictor(problem_type="text_similarity", query="q", response="r", label="label",
                                    path=tmp_path / "p", use_ensemble=True,
                                    hyperparameters=tiny_hyperparameters(tiny_text_model))
    with pytest.raises(ConfigError, match="use_ensemble .*'text_similarity'"):
        predictor.fit(pairs)
    assert not (tmp_path / "p").exists()
