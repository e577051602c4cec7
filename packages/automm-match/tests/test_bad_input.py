"""Bad input to a matcher gets automm's own error, naming the column, row or argument and the fix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automm.core import MultiModalPredictor
from automm.core.errors import ConfigError, InputError
from automm.core.testing.tiny_models import tiny_hyperparameters
from automm.match import zero_shot_classify

TEXT = {"query": "question", "response": "answer"}


@pytest.fixture()
def matcher(tmp_path: Path, tiny_text_model: Path) -> MultiModalPredictor:
    return MultiModalPredictor(problem_type="text_similarity", path=tmp_path / "m",
                               hyperparameters=tiny_hyperparameters(tiny_text_model), **TEXT)


def test_missing_query_argument_names_both_arguments() -> None:
    with pytest.raises(ConfigError, match="needs query= and response="):
        MultiModalPredictor(problem_type="text_similarity", response="answer").fit(pd.DataFrame({"answer": ["a"]}))


def test_task_argument_typo_suggests_the_right_name() -> None:
    with pytest.raises(ConfigError, match="Did you mean \"response\""):
        MultiModalPredictor(problem_type="text_similarity", query="q", respons="r")


def test_task_arguments_without_problem_type_are_refused() -> None:
    with pytest.raises(ConfigError, match="pass problem_type"):
        MultiModalPredictor(query="q", response="r")


def test_same_column_on_both_sides_is_refused(matcher: MultiModalPredictor, text_pairs: pd.DataFrame) -> None:
    same = MultiModalPredictor(problem_type="text_similarity", query="question", response="question")
    with pytest.raises(ConfigError, match="different columns"):
        same.fit(text_pairs)


def test_missing_response_column_at_fit_names_it(matcher: MultiModalPredictor, text_pairs: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="no column 'answer'.*Did you mean"):
        matcher.fit(text_pairs.rename(columns={"answer": "answers"}))


def test_missing_query_column_at_predict_names_it(matcher: MultiModalPredictor, text_pairs: pd.DataFrame) -> None:
    matcher.extract_embedding(text_pairs.head(2), signature="query")
    with pytest.raises(InputError, match=r"lacks column\(s\) \['question'\]"):
        matcher.predict(text_pairs[["answer"]].head(2))
    with pytest.raises(InputError, match="question"):
        matcher.extract_embedding(text_pairs[["answer"]], signature="query")


def test_empty_texts_are_named_by_row(matcher: MultiModalPredictor, text_pairs: pd.DataFrame) -> None:
    rows = text_pairs.head(6).copy()
    rows.loc[[2, 4], "answer"] = ["   ", None]
    with pytest.raises(InputError, match=r"2 row\(s\) have no text .* response side .*rows \[2, 4\]"):
        matcher.predict(rows)


def test_unreadable_images_are_named_by_row(tmp_path: Path, tiny_text_model: Path,
                                            image_pairs: pd.DataFrame) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    rows = image_pairs.head(4).copy()
    rows.loc[1, "right"] = str(broken)
    rows.loc[3, "right"] = str(tmp_path / "missing.png")
    matcher = MultiModalPredictor(problem_type="image_similarity", query="left", response="right",
                                  hyperparameters=tiny_hyperparameters(tiny_text_model), path=tmp_path / "m")
    with pytest.raises(InputError, match=r"no readable image on the response side .*rows \[1, 3\]"):
        matcher.fit(rows)


def test_mismatched_pair_counts_are_refused(matcher: MultiModalPredictor) -> None:
    with pytest.raises(InputError, match="different numbers of values.*'question' has 3, 'answer' has 2"):
        matcher.predict({"question": ["a cat", "a dog", "red"], "answer": ["the cat", "the dog"]})


def test_pairs_as_a_dict_of_lists_work(matcher: MultiModalPredictor) -> None:
    probabilities = matcher.predict_proba({"question": ["a cat", "a dog"], "answer": ["the cat", "the dog"]})
    assert probabilities.shape == (2, 2)


def test_match_label_must_occur_in_the_labels(matcher: MultiModalPredictor, text_pairs: pd.DataFrame) -> None:
    labelled = MultiModalPredictor(problem_type="text_similarity", label="label", match_label="yes", **TEXT)
    with pytest.raises(InputError, match="match_label='yes' does not occur"):
        labelled.fit(text_pairs)


def test_string_labels_need_match_label(text_pairs: pd.DataFrame) -> None:
    labelled = MultiModalPredictor(problem_type="text_similarity", label="label", **TEXT)
    with pytest.raises(InputError, match="pass match_label="):
        labelled.fit(text_pairs.assign(label=text_pairs["label"].map({1: "same", 0: "different"})))


def test_unknown_label_value_at_evaluate_names_the_row(tmp_path: Path, tiny_text_model: Path,
                                                       text_pairs: pd.DataFrame) -> None:
    labelled = MultiModalPredictor(problem_type="text_similarity", label="label", match_label=1, path=tmp_path / "m",
                                   hyperparameters=tiny_hyperparameters(tiny_text_model), **TEXT)
    labelled.evaluate(text_pairs.head(6))  # zero-shot: the labels are 1 (match) and 0
    with pytest.raises(InputError, match="value 7 at row 3"):
        labelled.evaluate(text_pairs.head(6).assign(label=[1, 0, 1, 7, 1, 0]))
    with pytest.raises(InputError, match=r"may hold one other value, found \[0, 7\]"):
        MultiModalPredictor(problem_type="text_similarity", label="label", match_label=1, **TEXT).evaluate(
            text_pairs.head(6).assign(label=[1, 0, 1, 7, 1, 0]))


def test_signature_is_required_and_checked(matcher: MultiModalPredictor, text_pairs: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match="pass signature="):
        matcher.extract_embedding(text_pairs.head(2))
    with pytest.raises(ConfigError, match="Did you mean \"query\""):
        matcher.extract_embedding(text_pairs.head(2), signature="querry")


@pytest.mark.parametrize("top_k", [0, -1, 2.5, True])
def test_search_top_k_must_be_a_positive_integer(matcher: MultiModalPredictor, text_pairs: pd.DataFrame,
                                                top_k: object) -> None:
    with pytest.raises(ConfigError, match="top_k"):
        matcher.search(text_pairs[["question"]].head(2), text_pairs[["answer"]], top_k=top_k)  # type: ignore[arg-type]


def test_search_with_embeddings_of_the_wrong_width(matcher: MultiModalPredictor, text_pairs: pd.DataFrame) -> None:
    with pytest.raises(InputError, match=r"shape \[rows, 32\]"):
        matcher.search(text_pairs[["question"]].head(2), np.zeros((10, 7), dtype=np.float32))


def test_image_column_in_a_text_matcher_is_explained(tmp_path: Path, tiny_text_model: Path,
                                                     image_pairs: pd.DataFrame) -> None:
    matcher = MultiModalPredictor(problem_type="text_similarity", query="left", response="right",
                                  hyperparameters=tiny_hyperparameters(tiny_text_model), path=tmp_path / "m")
    with pytest.raises(InputError, match="needs text sides.*holds image"):
        matcher.fit(image_pairs)


def test_unknown_matching_hyperparameter_suggests_the_key(text_pairs: pd.DataFrame, tmp_path: Path) -> None:
    matcher = MultiModalPredictor(problem_type="text_similarity", path=tmp_path / "m",
                                  hyperparameters={"task.shared_tower": False}, **TEXT)
    with pytest.raises(ConfigError, match="task.shared_towers"):
        matcher.fit(text_pairs)


def test_zero_shot_classify_checks_its_arguments(tmp_path: Path, tiny_text_model: Path,
                                                 colour_images: pd.DataFrame) -> None:
    matcher = MultiModalPredictor(problem_type="image_text_similarity", query="image", response="text",
                                  hyperparameters=tiny_hyperparameters(tiny_text_model), path=tmp_path / "m")
    with pytest.raises(InputError, match="at least two distinct"):
        zero_shot_classify(matcher, colour_images[["image"]], ["red"])
    with pytest.raises(ConfigError, match="template"):
        zero_shot_classify(matcher, colour_images[["image"]], ["red", "blue"], template="a photo")
    with pytest.raises(InputError, match="exactly one side"):
        zero_shot_classify(matcher, colour_images[["colour"]], ["red", "blue"])
