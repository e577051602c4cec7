"""Hyperparameter search on Ray Tune (automm-core[hpo]): iris, a tabular fit of about a second per trial."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from automm.core.errors import ConfigError, MissingExtraError
from automm.core.predictor import MultiModalPredictor

FAST = {"optim.max_epochs": 2, "model.tabular.hidden_size": 16, "optim.batch_size": 16, "optim.top_k": 1}


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray = pytest.importorskip("ray")
    pytest.importorskip("optuna")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _fit(path: Path, data: pd.DataFrame, hyperparameters: dict[str, Any], **tune_kwargs: Any) -> MultiModalPredictor:
    predictor = MultiModalPredictor(label="label", path=path, verbosity=0)
    return predictor.fit(data, hyperparameters={**FAST, **hyperparameters}, hyperparameter_tune_kwargs=tune_kwargs)


def test_search_keeps_the_best_trial_and_it_loads(tmp_path: Path, iris: pd.DataFrame, local_ray: None) -> None:
    from ray import tune

    path = tmp_path / "model"
    predictor = _fit(path, iris, {"optim.lr": tune.loguniform(1e-4, 1e-2),
                                  "model.tabular.model": {"choice": ["mlp", "ft_transformer"]}},
                     num_trials=2, searcher="random", scheduler="FIFO")
    search = predictor.fit_summary["hpo"]
    trials = search["trials"]
    assert [t["status"] for t in trials] == ["completed", "completed"]
    assert {t["trial"] for t in trials} == {t["trial"] for t in trials if t["validations"] == 3}  # 2 epochs + final
    best = max(trials, key=lambda t: t["score"])
    assert search["best_trial"] == best["trial"] and search["best_config"] == best["config"]
    loaded = MultiModalPredictor.load(path)
    config = loaded.state.config
    assert config.optim.lr == pytest.approx(best["config"]["optim.lr"])
    assert config.model.tabular.model == best["config"]["model.tabular.model"]
    assert loaded.fit_summary["best_val_score"] == pytest.approx(best["score"])
    pd.testing.assert_series_equal(loaded.predict(iris.head(20)), predictor.predict(iris.head(20)))
    assert not (tmp_path / "model.hpo").exists()  # other trials' folders are removed
    json.dumps(loaded.fit_summary)  # the trials table is plain JSON in predictor.json


def test_asha_stops_trials_that_trail(tmp_path: Path, iris: pd.DataFrame, local_ray: None) -> None:
    # One trial at a time (2 CPUs each), so ASHA sees earlier trials' scores: those that barely train trail them.
    predictor = _fit(tmp_path / "model", iris, {"optim.lr": {"choice": [3e-3, 1e-9]}, "optim.max_epochs": 4},
                     num_trials=4, searcher="bayes", scheduler="asha", cpus_per_trial=2, keep_trials=True)
    search = predictor.fit_summary["hpo"]
    assert search["scheduler"] == "ASHA"
    stopped = [t for t in search["trials"] if t["status"] == "stopped"]
    completed = [t for t in search["trials"] if t["status"] == "completed"]
    assert stopped and all(t["validations"] < 4 for t in stopped)
    assert all((Path(t["folder"]) / "predictor.json").exists() for t in completed)  # kept on request
    assert search["best_config"]["optim.lr"] == 3e-3


@pytest.mark.parametrize(("hyperparameters", "tune_kwargs", "message"), [
    ({"optim.lr": 1e-3}, {"num_trials": 2}, "holds no search space"),
    ({"optim.lr": {"loguniform": [1e-5, 1e-3]}}, None, "no hyperparameter_tune_kwargs"),
    ({"optim.lr": {"uniform": [1e-5, 1e-3]}}, {"num_trials": 0}, "'num_trials'] must be a whole number >= 1"),
    ({"optim.lr": {"uniform": [1e-5, 1e-3]}}, {"num_trials": 2, "searcher": "bayesian"}, 'Did you mean "bayes"'),
    ({"optim.lr": {"uniform": [1e-5, 1e-3]}}, {"num_trials": 2, "scheduler": "FIFOO"}, 'Did you mean "FIFO"'),
    ({"optim.lr": {"uniform": [1e-5, 1e-3]}}, {"num_trials": 2, "num_to_kep": 3}, "Unknown hyperparameter_tune"),
    ({"optim.lr": {"uniform": [1e-5, 1e-3]}}, {"num_to_keep": -1}, "'num_to_keep'] must be a whole number >= 0"),
    ({"optim.lr": {"uniform": [1e-5, 1e-3]}}, {"scheduler_init_args": [2]}, "'scheduler_init_args'] must be a dict"),
    ({"optim.lr_rate": {"loguniform": [1e-5, 1e-3]}}, {}, 'Did you mean "optim.lr"'),
    ({"optim.peft": {"choice": ["none", "lorra"]}}, {}, "search space of 'optim.peft'"),
    ({"optim.batch_size": {"randint": [0, 8]}}, {}, "'optim.batch_size' must be >= 1"),
    ({"optim.lr": {"loguniform": [0, 1e-3]}}, {}, "loguniform needs low > 0"),
    ({"optim.lr": {"choice": []}}, {}, "choice needs at least one value"),
    ({"optim": {"lr": {"uniform": [1e-3]}}}, {}, "[low, high] as two numbers"),
])
def test_bad_search_settings_fail_before_any_trial(tmp_path: Path, iris: pd.DataFrame, hyperparameters: dict,
                                                   tune_kwargs: dict | None, message: str) -> None:
    predictor = MultiModalPredictor(label="label", path=tmp_path / "model", verbosity=0)
    with pytest.raises(ConfigError, match=_literal(message)):
        predictor.fit(iris, hyperparameters=hyperparameters, hyperparameter_tune_kwargs=tune_kwargs)
    assert not (tmp_path / "model").exists() and not (tmp_path / "model.hpo").exists()


def test_without_ray_the_error_names_the_extra(tmp_path: Path, iris: pd.DataFrame,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "ray" or m.startswith("ray.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails as if it were not installed
    predictor = MultiModalPredictor(label="label", path=tmp_path / "model", verbosity=0)
    with pytest.raises(MissingExtraError, match=_literal('pip install "automm-core[hpo]"')):
        predictor.fit(iris, presets="medium_quality_hpo")


def test_hpo_preset_is_its_base_preset_plus_a_search(tmp_path: Path, iris: pd.DataFrame) -> None:
    from automm.core.presets import resolve

    assert resolve("multiclass", "high_quality_hpo") == resolve("multiclass", "high_quality")
    predictor = MultiModalPredictor(label="label", path=tmp_path / "model", verbosity=0)
    with pytest.raises(ConfigError, match="num_trials"):  # the caller's tune kwargs go over the preset's
        predictor.fit(iris, presets="medium_quality_hpo", hyperparameter_tune_kwargs={"num_trials": 0})


def _literal(text: str) -> str:
    import re

    return re.escape(text)
