"""AutoGluon-MM's matching surface: ranking evaluate, side inference, list input, the retrieval helpers and
zero-shot classification against candidates (review B22-B27, B30, B31, B38, B39, B43-B49)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from automm.core import MultiModalPredictor
from automm.core.errors import ConfigError, InputError
from automm.core.testing.tiny_models import tiny_hyperparameters
from automm.match import compute_ranking_score, compute_semantic_similarity, semantic_search

TEXT = {"query": "question", "response": "answer"}


@pytest.fixture()
def matcher(tmp_path: Path, tiny_text_model: Path) -> MultiModalPredictor:
    return MultiModalPredictor(problem_type="text_similarity", path=tmp_path / "m",
                               hyperparameters=tiny_hyperparameters(tiny_text_model), **TEXT)


@pytest.fixture()
def positives(text_pairs: pd.DataFrame) -> pd.DataFrame:
    return text_pairs[text_pairs["label"] == 1].head(24).reset_index(drop=True)


def _brute_force(matcher: MultiModalPredictor, positives: pd.DataFrame, k: int) -> dict[str, float]:
    questions, answers = positives["question"].unique(), positives["answer"].unique()
    scores = compute_semantic_similarity(matcher.extract_embedding(list(questions), signature="query"),
                                         matcher.extract_embedding(pd.DataFrame({"answer": answers})))
    results = {q: dict(zip(answers, row)) for q, row in zip(questions, scores.tolist())}
    qrels = {q: dict.fromkeys(group["answer"], 1) for q, group in positives.groupby("question")}
    return compute_ranking_score(results, qrels, ["ndcg", "recall", "mrr"], cutoffs=[1, k])


def test_evaluate_ranks_a_response_corpus(matcher: MultiModalPredictor, positives: pd.DataFrame) -> None:
    scores = matcher.evaluate(positives.assign(relevance=1), query_data=positives[["question"]].drop_duplicates(),
                              response_data=positives[["answer"]].drop_duplicates(), label="relevance",
                              cutoffs=[1, 5], metrics=["ndcg", "recall", "mrr"])
    assert set(scores) == {f"{m}@{k}" for m in ("ndcg", "recall", "mrr") for k in (1, 5)}
    expected = _brute_force(matcher, positives, 5)
    assert scores == pytest.approx(expected, abs=1e-6)
    everything = matcher.evaluate(positives, query_data=positives[["question"]], response_data=positives[["answer"]])
    assert set(everything) == {f"{m}@{k}" for m in ("ndcg", "recall", "mrr", "map", "precision") for k in (1, 5, 10)}
    reversed_scores = matcher.evaluate(positives, query_data=positives[["answer"]],
                                       response_data=positives[["question"]], chunk_size=5, cutoffs=[1])
    assert 0 <= reversed_scores["recall@1"] <= 1


def test_evaluate_reads_ids_through_id_mappings(matcher: MultiModalPredictor, positives: pd.DataFrame) -> None:
    questions, answers = positives["question"].unique(), positives["answer"].unique()
    qid = {text: f"q{i}" for i, text in enumerate(questions)}
    did = {text: f"d{i}" for i, text in enumerate(answers)}
    labelled = pd.DataFrame({"question": positives["question"].map(qid), "answer": positives["answer"].map(did),
                             "relevance": 1})
    id_mappings = {"question": {v: k for k, v in qid.items()}, "answer": pd.Series(list(did), index=list(did.values()))}
    scores = matcher.evaluate(labelled, query_data=pd.DataFrame({"question": list(qid.values())}),
                              response_data=pd.DataFrame({"answer": list(did.values())}), id_mappings=id_mappings,
                              cutoffs=[1, 5], metrics=["ndcg", "recall", "mrr"], label="relevance")
    assert scores == pytest.approx(_brute_force(matcher, positives, 5), abs=1e-6)
    embedded = matcher.extract_embedding(labelled[["answer"]], id_mappings=id_mappings)
    np.testing.assert_allclose(embedded, matcher.extract_embedding(positives[["answer"]]), atol=1e-6)
    with pytest.raises(InputError, match="has no entry for id .nope."):
        matcher.extract_embedding(pd.DataFrame({"answer": ["nope"]}), id_mappings=id_mappings)


def test_evaluate_ranking_arguments_are_checked(matcher: MultiModalPredictor, positives: pd.DataFrame) -> None:
    corpus = {"query_data": positives[["question"]], "response_data": positives[["answer"]]}
    with pytest.raises(ConfigError, match="similarity_type"):
        matcher.evaluate(positives, similarity_type="euclid", **corpus)
    with pytest.raises(ConfigError, match="cutoffs"):
        matcher.evaluate(positives, cutoffs=[0], **corpus)
    with pytest.raises(ConfigError, match="response_data"):
        matcher.evaluate(positives, query_data=positives[["question"]])
    with pytest.raises(InputError, match="label='score'"):
        matcher.evaluate(positives, label="score", **corpus)
    dot = matcher.evaluate(positives, similarity_type="dot_prod", cutoffs=[1], metrics="recall", **corpus)
    assert dot == pytest.approx(matcher.evaluate(positives, cutoffs=[1], metrics=["recall"], **corpus))


def test_extract_embedding_infers_the_side_from_the_columns(matcher: MultiModalPredictor,
                                                            text_pairs: pd.DataFrame) -> None:
    rows = text_pairs.head(4)
    np.testing.assert_array_equal(matcher.extract_embedding(rows[["question"]]),
                                  matcher.extract_embedding(rows, signature="query"))
    np.testing.assert_array_equal(matcher.extract_embedding({"answer": rows["answer"].tolist()}),
                                  matcher.extract_embedding(rows, signature="response"))
    with pytest.raises(ConfigError, match="ambiguous: pass signature="):
        matcher.extract_embedding(rows)
    with pytest.raises(ConfigError, match="not those of any side"):
        matcher.extract_embedding(rows.rename(columns={"question": "q", "answer": "a"}))


def test_extract_embedding_takes_lists_and_returns_tensors_or_frames(matcher: MultiModalPredictor,
                                                                     text_pairs: pd.DataFrame) -> None:
    texts = text_pairs["question"].head(3).tolist()
    expected = matcher.extract_embedding(pd.DataFrame({"question": texts}))
    tensor = matcher.extract_embedding(texts, as_tensor=True)
    assert isinstance(tensor, torch.Tensor) and tensor.shape == expected.shape
    np.testing.assert_allclose(tensor.numpy(), expected, atol=1e-6)
    frame = matcher.extract_embedding(text_pairs[["answer"]].head(3), as_pandas=True, realtime=True)
    assert isinstance(frame, pd.DataFrame) and list(frame.index) == [0, 1, 2]


def test_semantic_search_returns_autogluon_hits(matcher: MultiModalPredictor, positives: pd.DataFrame) -> None:
    questions, answers = positives["question"].head(3).tolist(), positives["answer"].tolist()
    hits = semantic_search(matcher, query_data=questions, response_data=pd.DataFrame({"answer": answers}), top_k=4,
                           response_chunk_size=7)
    expected = matcher.search(pd.DataFrame({"question": questions}), pd.DataFrame({"answer": answers}), top_k=4)
    assert [[h["response_id"] for h in row] for row in hits] == expected["corpus"].to_numpy().reshape(3, 4).tolist()
    assert all(row[0]["score"] >= row[-1]["score"] for row in hits)
    embedded = semantic_search(matcher, query_embeddings=matcher.extract_embedding(questions, as_tensor=True)[0],
                               response_embeddings=matcher.extract_embedding(answers, as_tensor=True), top_k=4)
    assert [h["response_id"] for h in embedded[0]] == [h["response_id"] for h in hits[0]]
    with pytest.raises(ConfigError, match="exactly one"):
        semantic_search(matcher, query_data=questions, query_embeddings=np.zeros((1, 4)), response_data=answers)


def test_compute_ranking_score_and_similarity() -> None:
    results = {"q1": {"d1": 0.9, "d2": 0.5, "d3": 0.1}, "q2": {"d1": 0.2, "d3": 0.8}}
    qrels = {"q1": {"d2": 1, "d3": 2}, "q2": {"d3": 1, "d9": 0}}
    scores = compute_ranking_score(results, qrels, ["ndcg", "recall", "precision", "mrr", "map"], cutoffs=[1, 2])
    assert scores["recall@1"] == pytest.approx(0.5 * (0 + 1))
    assert scores["precision@2"] == pytest.approx(0.5 * (0.5 + 0.5))
    assert scores["mrr@2"] == pytest.approx(0.5 * (0.5 + 1))
    assert scores["ndcg@2"] == pytest.approx(0.5 * ((1 / np.log2(3)) / (1 + 1 / np.log2(3)) + 1))
    assert scores["map@2"] == pytest.approx(0.5 * (0.5 / 2 + 1))
    assert list(compute_ranking_score(results, qrels, ["ndcg"])) == ["ndcg@5", "ndcg@10", "ndcg@20"]
    a, b = torch.tensor([[3.0, 4.0]]), torch.tensor([[3.0, 4.0], [0.0, 2.0]])
    assert compute_semantic_similarity(a, b)[0].tolist() == pytest.approx([1.0, 0.8])
    assert compute_semantic_similarity(a[0], b, similarity_type="dot_prod").tolist() == [[25.0, 8.0]]
    with pytest.raises(ConfigError, match="Unknown ranking metric"):
        compute_ranking_score(results, qrels, ["ndgc"])


def test_predict_and_predict_proba_read_id_mappings(matcher: MultiModalPredictor, text_pairs: pd.DataFrame) -> None:
    rows = text_pairs.head(4)
    ids = pd.DataFrame({"question": [f"q{i}" for i in range(4)], "answer": [f"a{i}" for i in range(4)]})
    id_mappings = {"question": dict(zip(ids["question"], rows["question"])),
                   "answer": dict(zip(ids["answer"], rows["answer"]))}
    pd.testing.assert_frame_equal(matcher.predict_proba(ids, id_mappings=id_mappings), matcher.predict_proba(rows))
    pd.testing.assert_series_equal(matcher.predict(ids, id_mappings=id_mappings), matcher.predict(rows))


def test_zero_shot_image_classification_scores_candidates(tmp_path: Path, tiny_clip_model: Path,
                                                          colour_images: pd.DataFrame) -> None:
    predictor = MultiModalPredictor(problem_type="zero_shot_image_classification", path=tmp_path / "zs",
                                    hyperparameters={"model.text.checkpoint": str(tiny_clip_model)})
    paths, names = colour_images["image"].head(3).tolist(), ["a red square", "a blue square", "a green one"]
    probabilities = predictor.predict_proba({"image": paths}, {"text": names})
    assert isinstance(probabilities, np.ndarray) and probabilities.shape == (3, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(predictor.predict({"image": paths}, candidate_data=names),
                                  probabilities.argmax(axis=1))
    framed = predictor.predict_proba(colour_images[["image"]].head(3), candidate_data=names)
    assert isinstance(framed, pd.DataFrame) and framed.shape == (3, 3)
    with pytest.raises(InputError, match="both hold the query side"):
        predictor.predict_proba({"image": paths}, {"image": paths})
    with pytest.raises(ConfigError, match="without fit"):
        predictor.fit(pd.DataFrame({"image": paths, "text": names}))


def test_image_text_similarity_works_zero_shot_on_lists(tmp_path: Path, tiny_clip_model: Path,
                                                        colour_images: pd.DataFrame) -> None:
    predictor = MultiModalPredictor(problem_type="image_text_similarity", path=tmp_path / "c15",
                                    hyperparameters={"model.text.checkpoint": str(tiny_clip_model)})
    paths, texts = colour_images["image"].head(4).tolist(), ["red", "blue", "green"]
    images = predictor.extract_embedding(paths, as_tensor=True)
    words = predictor.extract_embedding(texts, as_tensor=True)
    assert images.shape == (4, 16) and words.shape == (3, 16)
    np.testing.assert_allclose(images.numpy(), predictor.extract_embedding({"image": paths}), atol=1e-6)
    hits = semantic_search(predictor, query_embeddings=words[1][None,], response_embeddings=images, top_k=2)
    assert len(hits) == 1 and len(hits[0]) == 2
    probability = predictor.predict_proba({"image": paths[:1], "text": texts[:1]})
    assert probability.shape[0] == 1


def test_zero_shot_image_text_with_untrained_projections_warns(tmp_path: Path, tiny_text_model: Path,
                                                               colour_images: pd.DataFrame) -> None:
    matcher = MultiModalPredictor(problem_type="image_text_similarity", query="image", response="text",
                                  hyperparameters=tiny_hyperparameters(tiny_text_model), path=tmp_path / "dual")
    with pytest.warns(UserWarning, match="presets='high_quality' \\(openai/clip-vit-base-patch32"):
        matcher.extract_embedding(colour_images[["image"]].head(2))


def test_zero_shot_text_matching_does_not_warn(matcher: MultiModalPredictor, text_pairs: pd.DataFrame) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        matcher.extract_embedding(text_pairs[["question"]].head(2))


def test_feature_extraction_embeds_text_without_fit(tmp_path: Path, tiny_text_model: Path,
                                                    text_pairs: pd.DataFrame) -> None:
    predictor = MultiModalPredictor(problem_type="feature_extraction", path=tmp_path / "fe",
                                    hyperparameters=tiny_hyperparameters(tiny_text_model))
    texts = text_pairs[["question"]].head(5)
    embeddings = predictor.extract_embedding(texts)
    assert embeddings.shape == (5, 32)
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(predictor.extract_embedding({"question": texts["question"].head(1).tolist()}),
                               embeddings[:1], atol=1e-6)
    with pytest.raises(ConfigError, match="only embeds"):
        predictor.predict(texts)
    with pytest.raises(ConfigError, match="without fit"):
        predictor.fit(texts)
    predictor.save()
    reloaded = MultiModalPredictor.load(predictor.path)
    np.testing.assert_allclose(reloaded.extract_embedding(texts), embeddings, atol=1e-6)


def test_feature_extraction_refuses_mixed_modalities(tmp_path: Path, tiny_text_model: Path,
                                                     colour_images: pd.DataFrame) -> None:
    predictor = MultiModalPredictor(problem_type="feature_extraction", path=tmp_path / "fe",
                                    hyperparameters=tiny_hyperparameters(tiny_text_model))
    with pytest.raises(InputError, match="mixes image and text"):
        predictor.extract_embedding(colour_images.head(3))
