"""few_shot_classification: a linear SVM on frozen embeddings, written into the network's head."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from automm.classify.few_shot_svm import fit_linear_svm, inverse_temperature
from automm.core import ConfigError, InputError, MultiModalPredictor
from automm.core.testing.contract import PredictorContract
from automm.core.testing.tiny_models import tiny_hyperparameters

PROBLEM = "few_shot_classification"


def digits_table(folder: Path, rows: int = 40) -> pd.DataFrame:
    """Real 8x8 digit glyphs (scikit-learn) as PNG files and a caption; label: small (<5) or large digit."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    folder.mkdir(parents=True, exist_ok=True)
    records = []
    for i in range(rows):
        path = folder / f"{i}.png"
        Image.fromarray((digits.images[i] * 255 / 16).astype(np.uint8), mode="L").save(path)
        big = bool(digits.target[i] >= 5)
        records.append({"image": str(path), "caption": ["one two three", "good great big"][big],
                        "ink": float(digits.images[i].mean()), "label": "large" if big else "small"})
    return pd.DataFrame(records)


class TestFewShotContract(PredictorContract):
    problem_type = PROBLEM

    @pytest.fixture(scope="class")
    def table(self, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
        return digits_table(tmp_path_factory.mktemp("digits"))

    def test_fits_directly_on_every_row(self, fitted, table: pd.DataFrame) -> None:
        info = fitted.fit_summary
        assert (info["epochs"], info["steps"], info["stopped_by"]) == (0, 0, "direct")
        assert (info["train_rows"], info["validation_rows"]) == (len(table), 0)
        assert fitted.state.task.svm["folds"] == 5
        assert fitted.column_types["ink"] == "null"  # numeric columns are ignored
        assert fitted.predict(table.drop(columns="ink").head(3)).notna().all()

    def test_embedding_is_unit_length_per_modality(self, fitted, table: pd.DataFrame) -> None:
        assert set(fitted.state.net.encoders) == {"text", "image"}
        norms = np.linalg.norm(fitted.extract_embedding(table.head(4)), axis=1)
        np.testing.assert_allclose(norms, np.sqrt(2), rtol=1e-5)

    def test_head_is_the_svm(self, fitted, table: pd.DataFrame) -> None:
        """The folded head reproduces the SVM's decisions; the frozen features separate the caption's classes."""
        proba = fitted.predict_proba(table)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
        assert fitted.evaluate(table)["accuracy"] == 1.0  # each class has its own caption


def test_folded_head_matches_scikit_learn() -> None:
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    rng = np.random.default_rng(0)
    for classes, standardize in ((2, True), (4, True), (3, False)):
        codes = np.repeat(np.arange(classes), 6)
        x = rng.normal(size=(len(codes), 20)) + codes[:, None] * 0.7
        head = fit_linear_svm(x, codes, classes, c=None, standardize=standardize, seed=0)
        reference = Pipeline([("scale", StandardScaler() if standardize else "passthrough"),
                              ("svm", LinearSVC(C=head.c, random_state=0, max_iter=10_000))]).fit(x, codes)
        decision = reference.decision_function(x)
        decision = np.stack([-decision / 2, decision / 2], axis=1) if decision.ndim == 1 else decision
        np.testing.assert_allclose(x @ head.weight.T + head.bias, decision / head.temperature, atol=1e-6)
        assert head.held_out_logits.shape == (len(codes), classes) and head.folds == 5


def test_temperature_keeps_few_separated_rows_from_certainty() -> None:
    """Held-out rows all classified right with margin: probabilities stop near Platt's (n + 1) / (n + 2)."""
    codes = np.array([0, 0, 1, 1])
    logits = np.array([[1.0, -1.0], [2.0, -2.0], [-1.5, 1.5], [-1.0, 1.0]])
    beta = inverse_temperature(logits, codes, 2)
    shifted = np.exp(beta * logits)
    true_class = (shifted / shifted.sum(1, keepdims=True))[np.arange(4), codes]
    assert 0.6 < true_class.mean() < 0.8  # hard labels would push this towards 1


@pytest.fixture(scope="module")
def few_rows(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    return digits_table(tmp_path_factory.mktemp("few"), rows=12)


def _predictor(tiny_text_model: Path, path: Path) -> MultiModalPredictor:
    return MultiModalPredictor(label="label", problem_type=PROBLEM, path=path,
                               hyperparameters=tiny_hyperparameters(tiny_text_model))


def test_class_with_one_example_is_refused(few_rows: pd.DataFrame, tiny_text_model: Path, tmp_path: Path) -> None:
    rows = pd.concat([few_rows, few_rows.head(1).assign(label="medium")], ignore_index=True)
    with pytest.raises(InputError, match=r"'medium' \(1 row\).*at least 2 rows of every class"):
        _predictor(tiny_text_model, tmp_path / "p").fit(rows)
    assert not (tmp_path / "p").exists()


def test_single_class_is_refused(few_rows: pd.DataFrame, tiny_text_model: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="at least two are needed"):
        _predictor(tiny_text_model, tmp_path / "p").fit(few_rows.assign(label="small"))


def test_table_without_text_or_image_is_refused(iris: pd.DataFrame, tiny_text_model: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="embeds text and image columns.*problem_type='multiclass'"):
        _predictor(tiny_text_model, tmp_path / "p").fit(iris)


def test_two_shots_with_tuning_data(few_rows: pd.DataFrame, tiny_text_model: Path, tmp_path: Path) -> None:
    """Two rows per class, text only: folds of one row per class; tuning data is scored, not split off."""
    shots = few_rows.groupby("label").head(2)[["caption", "label"]]
    predictor = _predictor(tiny_text_model, tmp_path / "p").fit(shots, tuning_data=few_rows[["caption", "label"]])
    assert predictor.state.task.svm["folds"] == 2
    assert (predictor.fit_summary["train_rows"], predictor.fit_summary["validation_rows"]) == (4, len(few_rows))
    assert predictor.fit_summary["best_val_score"] == 1.0  # roc_auc on the tuning rows: captions name the class
    assert predictor.evaluate(few_rows)["accuracy"] == 1.0


def test_holdout_frac_is_refused(few_rows: pd.DataFrame, tiny_text_model: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="holdout_frac does not apply"):
        _predictor(tiny_text_model, tmp_path / "p").fit(few_rows, holdout_frac=0.2)


@pytest.mark.parametrize("hyperparameters", [{"model.fusion.model": "mlp"}, {"model": {"fusion": {"model": "mlp"}}}])
def test_a_trained_fusion_is_refused(hyperparameters: dict, few_rows: pd.DataFrame, tmp_path: Path) -> None:
    predictor = MultiModalPredictor(label="label", problem_type=PROBLEM, path=tmp_path / "p",
                                    hyperparameters=hyperparameters)
    with pytest.raises(ConfigError, match="l2_concat"):
        predictor.fit(few_rows)
