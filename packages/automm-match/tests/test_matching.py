"""Matching behaviour: zero-shot use, learning, search, loss choice, hard negatives, CLIP, export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automm.core import MultiModalPredictor
from automm.core.config import Config
from automm.core.embedding import top_k_cosine
from automm.core.errors import ConfigError
from automm.core.testing.tiny_models import tiny_hyperparameters
from automm.match import export_sentence_transformer, plot_similarity, zero_shot_classify
from automm.match.calibration import fit_platt
from automm.match.config import MatchConfig
from automm.match.hard_negatives import add_hard_negatives
from automm.match.losses import build_loss

TEXT = {"query": "question", "response": "answer"}


def _matcher(tmp_path: Path, text_model: Path, label: str | None = None, **options) -> MultiModalPredictor:
    hyperparameters = tiny_hyperparameters(text_model, **options.pop("hyperparameters", {}))
    return MultiModalPredictor(label=label, problem_type="text_similarity", path=tmp_path / "matcher",
                               hyperparameters=hyperparameters, **TEXT, **options)


def test_fine_tuning_beats_zero_shot(tmp_path: Path, tiny_text_model: Path, text_pairs: pd.DataFrame) -> None:
    matcher = _matcher(tmp_path, tiny_text_model, label="label", match_label=1,
                       hyperparameters={"optim.max_epochs": 6, "optim.lr": 3e-3})
    before = matcher.evaluate(text_pairs)
    assert matcher.fit_summary["zero_shot"] is True
    matcher.fit(text_pairs, seed=0)
    after = matcher.evaluate(text_pairs)
    assert after["roc_auc"] > before["roc_auc"] + 0.1, (before, after)
    assert after["roc_auc"] > 0.8
    assert "zero_shot" not in matcher.fit_summary and not matcher.fit_summary["kept_pretrained"]
    figure = plot_similarity(matcher, text_pairs, tmp_path / "similarity.png")
    assert (tmp_path / "similarity.png").stat().st_size > 0
    matches, others = (patch_group for patch_group in figure.axes[0].containers)
    assert sum(p.get_height() for p in matches) == (text_pairs["label"] == 1).sum()


def test_fit_keeps_the_pretrained_model_when_training_makes_validation_worse(tmp_path: Path, tiny_text_model: Path,
                                                                            text_pairs: pd.DataFrame) -> None:
    matcher = _matcher(tmp_path, tiny_text_model, label="label", match_label=1,
                       hyperparameters={"optim.max_epochs": 4, "optim.lr": 3e-3})
    zero_shot = matcher.extract_embedding(text_pairs, signature="response")
    inverted = text_pairs.assign(label=1 - text_pairs["label"])  # teaches the opposite of the validation labels
    matcher.fit(inverted, tuning_data=text_pairs)
    assert matcher.fit_summary["kept_pretrained"] and matcher.fit_summary["soup_size"] == 0
    np.testing.assert_allclose(matcher.extract_embedding(text_pairs, signature="response"), zero_shot, atol=1e-6)


def test_zero_shot_predictor_embeds_and_searches_without_fit(tmp_path: Path, tiny_text_model: Path,
                                                            text_pairs: pd.DataFrame) -> None:
    matcher = _matcher(tmp_path, tiny_text_model)
    queries = matcher.extract_embedding(text_pairs[["question"]].head(4), signature="query")
    assert queries.shape == (4, 32)
    np.testing.assert_allclose(np.linalg.norm(queries, axis=1), 1.0, rtol=1e-5)
    hits = matcher.search(text_pairs[["question"]].head(3), text_pairs[["answer"]], top_k=5)
    assert list(hits.columns) == ["query", "rank", "corpus", "score"]
    assert len(hits) == 15 and hits.groupby("query")["score"].is_monotonic_decreasing.all()
    saved = matcher.save(tmp_path / "zero_shot")
    reloaded = MultiModalPredictor.load(saved)
    np.testing.assert_array_equal(reloaded.extract_embedding(text_pairs[["question"]].head(4), signature="query"),
                                  queries)


def test_search_matches_brute_force_for_any_chunk_size(tmp_path: Path, tiny_text_model: Path,
                                                      text_pairs: pd.DataFrame) -> None:
    matcher = _matcher(tmp_path, tiny_text_model)
    corpus = text_pairs[["answer"]].set_axis(range(1000, 1000 + len(text_pairs)))
    queries = text_pairs[["question"]].head(6)
    expected = matcher.search(queries, corpus, top_k=7, corpus_chunk_size=len(corpus))
    for chunk in (1, 13, 50):
        found = matcher.search(queries, corpus, top_k=7, corpus_chunk_size=chunk)
        np.testing.assert_allclose(found["score"], expected["score"], rtol=1e-5)
    embeddings = matcher.extract_embedding(corpus, signature="response")
    brute = matcher.extract_embedding(queries, signature="query") @ embeddings.T
    best = np.sort(brute, axis=1)[:, ::-1][:, :7].reshape(-1)
    np.testing.assert_allclose(expected["score"], best, rtol=1e-5)
    assert set(expected["corpus"]) <= set(corpus.index)
    from_array = matcher.search(queries, embeddings, top_k=7)
    np.testing.assert_allclose(from_array["score"], expected["score"], rtol=1e-5)
    assert (corpus.index[from_array["corpus"]] == expected["corpus"]).mean() > 0.9  # ties may swap order


def test_top_k_cosine_merges_chunks_exactly() -> None:
    rng = np.random.default_rng(1)
    queries, corpus = rng.normal(size=(9, 8)), rng.normal(size=(200, 8))
    whole = top_k_cosine(queries, [corpus], 5)
    chunked = top_k_cosine(queries, [corpus[i : i + 17] for i in range(0, 200, 17)], 5)
    np.testing.assert_allclose(chunked[0], whole[0], rtol=1e-6)
    np.testing.assert_array_equal(chunked[1], whole[1])
    few = top_k_cosine(queries, [corpus[:3]], 5)
    assert few[0].shape == (9, 3)


@pytest.mark.parametrize(("kind", "expected"), [("positive", "multiple_negatives_ranking"),
                                                ("binary", "online_contrastive"), ("graded", "cosent")])
def test_auto_loss_follows_the_labels(kind: str, expected: str) -> None:
    assert build_loss("auto", kind, MatchConfig()).name == expected


def test_loss_that_cannot_learn_from_the_labels_is_refused() -> None:
    with pytest.raises(ConfigError, match="cannot learn from graded"):
        build_loss("online_contrastive", "graded", MatchConfig())
    with pytest.raises(ConfigError, match='must be one of.*Did you mean "contrastive"'):
        MatchConfig(loss="contrastiv")


def test_the_loss_is_a_task_setting_also_read_from_its_old_optim_key() -> None:
    assert Config(task=MatchConfig()).override({"optim.loss": "cosent"}).task.loss == "cosent"
    saved_by_core_0_2 = Config(task=MatchConfig(loss="cosent")).to_dict()
    saved_by_core_0_2["optim"]["loss"] = saved_by_core_0_2["task"].pop("loss")
    assert Config.from_dict(saved_by_core_0_2, MatchConfig()).task.loss == "cosent"


def test_graded_scores_train_with_cosent(tmp_path: Path, tiny_text_model: Path, text_pairs: pd.DataFrame) -> None:
    graded = text_pairs.assign(label=text_pairs["label"] * 4.0 + np.tile([0.0, 1.0], len(text_pairs) // 2))
    matcher = _matcher(tmp_path, tiny_text_model, label="label", hyperparameters={"optim.max_epochs": 1})
    matcher.fit(graded)
    predictions = matcher.predict(graded.head(8))
    assert predictions.between(0.0, 5.0).all()
    assert set(matcher.evaluate(graded)) == {"spearman", "pearson"}
    with pytest.raises(ConfigError, match="graded"):
        matcher.predict_proba(graded.head(2))


def test_hard_negatives_are_never_the_pairs_own_responses(tmp_path: Path, tiny_text_model: Path,
                                                         text_pairs: pd.DataFrame) -> None:
    positives = text_pairs[text_pairs["label"] == 1].drop(columns="label").reset_index(drop=True)
    matcher = _matcher(tmp_path, tiny_text_model)
    matcher.extract_embedding(positives.head(1), signature="query")  # builds the zero-shot model
    state = matcher.state
    targets = state.task.encode(positives)
    processors, features, _ = add_hard_negatives(state.net, state.processors, positives, targets, 64)
    assert set(processors.sides) == {"query", "response", "negative"}
    assert (features["answer__negative"] != features["answer"]).all()
    answers_of = positives.groupby("question")["answer"].agg(set)
    assert not any(neg in answers_of[q] for q, neg in zip(features["question"], features["answer__negative"]))
    trained = _matcher(tmp_path / "fit", tiny_text_model, hyperparameters={"task.hard_negatives": True})
    trained.fit(positives)
    assert trained.evaluate(positives)["mrr@10"] > 0


def test_hard_negatives_need_the_ranking_loss(tmp_path: Path, tiny_text_model: Path,
                                              text_pairs: pd.DataFrame) -> None:
    matcher = _matcher(tmp_path, tiny_text_model, label="label", hyperparameters={"task.hard_negatives": True})
    with pytest.raises(ConfigError, match="hard_negatives needs the ranking loss"):
        matcher.fit(text_pairs)


def test_platt_scaling_recovers_a_known_sigmoid() -> None:
    rng = np.random.default_rng(0)
    similarity = rng.uniform(-1, 1, 4000)
    labels = rng.uniform(size=4000) < 1 / (1 + np.exp(-(8 * similarity - 2)))
    a, b = fit_platt(similarity, labels.astype(float))
    assert abs(a - 8) < 1.0 and abs(b + 2) < 0.4


def test_export_to_sentence_transformers_gives_the_same_embeddings(tmp_path: Path, tiny_text_model: Path,
                                                                  text_pairs: pd.DataFrame) -> None:
    from sentence_transformers import SentenceTransformer

    matcher = _matcher(tmp_path, tiny_text_model, hyperparameters={"task.projection_dim": 8, "optim.max_epochs": 1})
    matcher.fit(text_pairs[text_pairs["label"] == 1].drop(columns="label"))
    folder = export_sentence_transformer(matcher, tmp_path / "st")
    model = SentenceTransformer(str(folder), device="cpu")
    texts = text_pairs["question"].head(5)
    expected = matcher.extract_embedding(texts.to_frame(), signature="query")
    np.testing.assert_allclose(model.encode(texts.tolist()), expected, atol=1e-5)


def test_clip_checkpoint_builds_a_clip_dual_encoder(tmp_path: Path, tiny_clip_model: Path,
                                                   colour_images: pd.DataFrame) -> None:
    hyperparameters = {"model.text.checkpoint": str(tiny_clip_model), "model.image.image_size": 32}
    matcher = MultiModalPredictor(problem_type="image_text_similarity", query="image", response="text",
                                  hyperparameters=hyperparameters, path=tmp_path / "clip")
    names = list(colour_images["colour"].unique())
    probabilities = zero_shot_classify(matcher, colour_images[["image"]], names)
    assert probabilities.shape == (len(colour_images), len(names))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert type(matcher.state.net).__name__ == "ClipDualEncoder"
    pairs = colour_images.assign(text="a photo of " + colour_images["colour"])[["image", "text"]]
    matcher.fit(pairs, hyperparameters=None)
    reloaded = MultiModalPredictor.load(matcher.path)
    np.testing.assert_array_equal(reloaded.extract_embedding(pairs, signature="query"),
                                  matcher.extract_embedding(pairs, signature="query"))


def test_dual_encoder_learns_image_text_pairs(tmp_path: Path, tiny_text_model: Path,
                                              colour_images: pd.DataFrame) -> None:
    hyperparameters = tiny_hyperparameters(tiny_text_model, **{"optim.max_epochs": 8, "optim.batch_size": 8,
                                                               "model.image.augment": False})
    matcher = MultiModalPredictor(problem_type="image_text_similarity", query="image", response="text",
                                  hyperparameters=hyperparameters, path=tmp_path / "dual")
    pairs = colour_images.assign(text=colour_images["colour"] + " one")[["image", "text"]]
    before = zero_shot_classify(matcher, colour_images[["image"]], ["red one", "green one", "blue one", "yellow one"])
    matcher.fit(pairs, tuning_data=pairs)
    after = zero_shot_classify(matcher, colour_images[["image"]], ["red one", "green one", "blue one", "yellow one"],
                               template="{}")
    truth = colour_images["colour"] + " one"
    assert (after.idxmax(axis=1) == truth).mean() > (before.idxmax(axis=1) == truth).mean()
    assert matcher.state.net.embedding_size == 256  # projections map 32-d text and image features to one space


def test_command_line_fits_and_evaluates_a_matcher(tmp_path: Path, tiny_text_model: Path, text_pairs: pd.DataFrame,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from automm.core.cli import main

    text_pairs.to_csv(tmp_path / "pairs.csv", index=False)
    hp = [f"--hp=model.text.checkpoint={tiny_text_model}", "--hp=optim.max_epochs=1", "--hp=model.text.max_length=32"]
    assert main(["fit", str(tmp_path / "pairs.csv"), "--problem-type", "text_similarity", "--label", "label",
                 "--task-arg", "query=question", "--task-arg", "response=answer", "--task-arg", "match_label=1",
                 "--path", str(tmp_path / "cli"), *hp]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "cli"), str(tmp_path / "pairs.csv")]) == 0
    assert "roc_auc" in capsys.readouterr().out


def test_a_single_image_is_recognised_before_fit(tmp_path: Path, tiny_text_model: Path,
                                                 colour_images: pd.DataFrame) -> None:
    for problem_type, other in (("image_similarity", "right"), ("image_text_similarity", "caption")):
        matcher = MultiModalPredictor(problem_type=problem_type, query="image", response=other,
                                      hyperparameters=tiny_hyperparameters(tiny_text_model), path=tmp_path / other)
        one = colour_images[["image"]].head(1)  # one value: detected as constant, yet it is an image path
        assert matcher.extract_embedding(one, signature="query").shape[0] == 1
        assert matcher.column_types["image"] == "image_path"


def test_matching_presets_freeze_batchnorm_statistics() -> None:
    from automm.match.presets import PRESETS

    assert all(config.model.image.freeze_batchnorm for by_type in PRESETS.values() for config in by_type.values())
