"""Named-entity recognition: span parsing and its errors, BIO alignment, seqeval scores, the predictor contract."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from transformers import AutoTokenizer

import automm.classify
from automm.classify.ner.metrics import NERMetric
from automm.classify.ner.processor import TaggedText
from automm.classify.ner.spans import Span, check_inside, parse_cell
from automm.classify.ner.tags import IGNORE, TagScheme
from automm.classify.ner.task import _decision, tagged_column
from automm.classify.ner.testing import ner_table
from automm.classify.ner.visualize import visualize_ner
from automm.core import InputError, MultiModalPredictor
from automm.core.data.column_types import ColumnDecision, ColumnType
from automm.core.errors import ConfigError
from automm.core.testing.contract import PredictorContract
from automm.core.testing.tiny_models import tiny_hyperparameters

LABEL = "entity_annotations"


def test_a_cell_parses_from_a_list_or_json_text_sorted_by_start() -> None:
    cell = [{"entity_group": "PER", "start": 6, "end": 9}, {"entity_group": "LOC", "start": 0, "end": 5}]
    assert parse_cell(cell, 0, LABEL) == [Span("LOC", 0, 5), Span("PER", 6, 9)]
    assert parse_cell(json.dumps(cell), 0, LABEL) == parse_cell(cell, 0, LABEL)
    assert parse_cell("[]", 0, LABEL) == []


@pytest.mark.parametrize(("cell", "why"), [
    ('[{"entity_group": "PER", "start": 0,', "cannot parse"),
    (7, "not a list"),
    ([{"entity_group": "PER", "start": 0}], "lacks \\['end'\\]"),
    ([{"entity_group": "PER", "start": 4, "end": 4}], "start < end"),
    ([{"entity_group": "PER", "start": 0.5, "end": 4}], "whole-number"),
    ([{"entity_group": "", "start": 0, "end": 4}], "non-empty name"),
    (["PER"], "not an object"),
    ([{"entity_group": "A", "start": 0, "end": 4}, {"entity_group": "B", "start": 3, "end": 6}], "overlap"),
])
def test_bad_cells_are_refused_naming_column_and_row(cell, why: str) -> None:
    with pytest.raises(InputError, match=f"'{LABEL}' row 'r7'.*{why}"):
        parse_cell(cell, "r7", LABEL)


def test_a_span_beyond_the_text_is_refused() -> None:
    with pytest.raises(InputError, match="row 3: entity .* ends after the 5-character text of column 'text'"):
        check_inside([Span("PER", 2, 6)], "hello", 3, LABEL, "text")


def test_spans_survive_alignment_to_word_pieces_and_decoding(tiny_text_model) -> None:
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_text_model))
    text = "the red cat, xyz dog"
    spans = [Span("COLOR", 4, 11), Span("ANIMAL", 13, 16), Span("ANIMAL", 17, 20)]  # "red cat", "xyz" (3 pieces)
    encoded = TaggedText("text", 32, tokenizer).tokenize([text])
    offsets = encoded["offset_mapping"][0].astype(np.int64)
    scheme = TagScheme(["ANIMAL", "COLOR"])
    tags = scheme.align(spans, offsets)
    assert tags[0] == IGNORE and tags[-1] == IGNORE  # [CLS], [SEP]
    assert scheme.names(tags[1:-1]) == ["O", "B-COLOR", "I-COLOR", "O", "B-ANIMAL", "I-ANIMAL", "I-ANIMAL",
                                        "B-ANIMAL"]
    found = scheme.decode(np.where(tags == IGNORE, 0, tags), offsets, np.full(len(tags), 0.5))
    assert [(e["entity_group"], e["start"], e["end"]) for e in found] == [tuple(s) for s in spans]
    assert all(e["score"] == 0.5 for e in found)


def test_text_longer_than_max_length_is_cut_with_a_warning(tiny_text_model) -> None:
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_text_model))
    with pytest.warns(UserWarning, match="longer than model.text.max_length=8"):
        encoded = TaggedText("text", 8, tokenizer).tokenize(["the cat " * 10])
    assert encoded["input_ids"].shape == (1, 8)


def test_the_metric_counts_entities_not_tokens() -> None:
    scheme = TagScheme(["ANIMAL", "COLOR"])
    offsets = np.array([[0, 0], [0, 3], [4, 7], [8, 11], [0, 0]])
    gold = [Span("COLOR", 0, 7), Span("ANIMAL", 8, 11)]
    perfect = {"tags": scheme.align(gold, offsets).clip(0), "offsets": offsets}
    half = {"tags": np.array([0, 3, 4, 0, 0]), "offsets": offsets}  # the colour found, the animal missed
    wrong_end = {"tags": np.array([0, 3, 0, 1, 0]), "offsets": offsets}  # colour cut short: not a match
    metric = NERMetric(scheme, ["overall_f1", "overall_precision", "overall_recall", "overall_accuracy"])
    metric.update([perfect], [gold])
    assert metric.compute() == {"overall_f1": 1.0, "overall_precision": 1.0, "overall_recall": 1.0,
                                "overall_accuracy": 1.0}
    for outputs, expected in (([half], (1.0, 0.5)), ([wrong_end], (0.5, 0.5))):
        metric.reset()
        metric.update(outputs, [gold])
        scores = metric.compute()
        assert (scores["overall_precision"], scores["overall_recall"]) == expected
    with pytest.raises(ConfigError, match="overall_f1"):
        NERMetric(scheme, ["f1_overall"])


def test_an_entity_group_s_name_gives_its_own_scores() -> None:
    scheme = TagScheme(["ANIMAL", "COLOR"])
    offsets = np.array([[0, 0], [0, 3], [4, 7], [8, 11], [0, 0]])
    gold = [Span("COLOR", 0, 7), Span("ANIMAL", 8, 11)]
    metric = NERMetric(scheme, ["overall_recall", "animal", "color"])
    metric.update([{"tags": np.array([0, 3, 4, 0, 0]), "offsets": offsets}], [gold])  # colour found, animal not
    assert metric.compute() == {"overall_recall": 0.5,
                                "animal": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "number": 1},
                                "color": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "number": 1}}
    with pytest.raises(ConfigError, match="Did you mean 'animal'|Did you mean \"animal\""):
        NERMetric(scheme, ["animals"])


def test_the_tagged_column_is_the_only_text_column_or_the_argument() -> None:
    def decisions(**types: ColumnType) -> dict[str, ColumnDecision]:
        return {c: ColumnDecision(c, t, "") for c, t in types.items()}

    text, number = ColumnType.TEXT, ColumnType.NUMERICAL
    assert tagged_column(decisions(body=text, n=number), "") == "body"
    assert tagged_column(decisions(body=text, title=text), "title") == "title"
    with pytest.raises(InputError, match=r"several: \['body', 'title'\].*text_column='body'"):
        tagged_column(decisions(body=text, title=text), "")
    with pytest.raises(InputError, match="no text column"):
        tagged_column(decisions(n=number), "")
    with pytest.raises(InputError, match="text_column='summary' is not a column"):
        tagged_column(decisions(body=text), "summary")
    chosen = {c: _decision(d, "title") for c, d in decisions(body=text, title=ColumnType.CATEGORICAL, n=number).items()}
    assert [chosen[c].type for c in ("body", "title", "n")] == [ColumnType.NULL, text, number]  # body is not read


def test_bad_labels_fail_before_training(tiny_text_model, tmp_path) -> None:
    table = ner_table(20)
    table.loc[5, LABEL] = [{"entity_group": "COLOR", "start": 0, "end": 999}]
    predictor = MultiModalPredictor(problem_type="ner", label=LABEL, path=tmp_path / "p",
                                    hyperparameters=tiny_hyperparameters(tiny_text_model), verbosity=0)
    with pytest.raises(InputError, match=f"'{LABEL}' row 5: entity .* ends after"):
        predictor.fit(table)
    table[LABEL] = [[] for _ in range(len(table))]
    with pytest.raises(InputError, match="holds no entity in any row"):
        predictor.fit(table)
    assert not (tmp_path / "p" / "predictor.json").exists()


def test_visualize_ner_marks_each_span_with_its_group() -> None:
    sentence = "Ada <b> lives in Paris & Rome"
    html = visualize_ner(sentence, [{"entity_group": "B-LOC", "start": 17, "end": 22, "score": 0.9},
                                    {"entity_group": "PER", "start": 0, "end": 3}])
    assert isinstance(html, str) and html._repr_html_() == str(html)
    assert html.count("<mark") == 2 and "&lt;b&gt; lives in " in html and " &amp; Rome" in html
    assert html.index(">Ada <b") < html.index(">Paris <b") and "LOC" in html and "B-LOC" not in html
    assert 'title="LOC 0.900"' in html
    assert visualize_ner(sentence, json.dumps([{"entity_group": "PER", "start": 0, "end": 3}])).count("<mark") == 1
    assert visualize_ner(sentence, []) == "Ada &lt;b&gt; lives in Paris &amp; Rome"
    assert automm.classify.visualize_ner is visualize_ner


@pytest.mark.parametrize(("annotations", "why"), [
    ([{"entity_group": "PER", "start": 0, "end": 99}], "outside the 9-character"),
    ([{"entity_group": "PER", "start": 0}], "is not a dict with entity_group, start and end"),
    ([{"entity_group": "A", "start": 0, "end": 4}, {"entity_group": "B", "start": 2, "end": 6}], "overlaps"),
    ("[{", "not JSON"),
])
def test_visualize_ner_refuses_bad_annotations(annotations, why: str) -> None:
    with pytest.raises(InputError, match=why):
        visualize_ner("Ada lives", annotations)


def test_text_ner_column_type_names_the_tagged_column(tiny_text_model, tmp_path) -> None:
    table = ner_table(20).assign(note=[f"an unrelated remark number {n}" for n in range(20)])
    one_epoch = tiny_hyperparameters(tiny_text_model, **{"optim.max_epochs": 1})
    predictor = MultiModalPredictor(problem_type="ner", label=LABEL, path=tmp_path / "p", verbosity=0,
                                    hyperparameters=one_epoch)
    predictor.fit(table, column_types={"text": "text_ner"}, seed=0)
    assert predictor.state.task.text_column == "text" and predictor.column_types["note"] == "null"


class TestNERContract(PredictorContract):
    problem_type = "ner"
    label = LABEL
    extra_hyperparameters = {"optim.max_epochs": 5, "optim.lr": 3e-3, "optim.top_k": 1}

    @pytest.fixture(scope="class")
    def table(self) -> pd.DataFrame:
        return ner_table(80, as_json=True)  # JSON text cells, as a CSV gives them; a numeric column besides

    def test_it_learns_entities_of_unseen_rows(self, fitted) -> None:
        rows = ner_table(40, seed=1)
        scores = fitted.evaluate(rows)
        assert list(scores) == ["overall_f1", "overall_precision", "overall_recall", "overall_accuracy"]
        assert scores["overall_f1"] > 0.8
        predicted = fitted.predict(rows)
        words = {row["text"][e["start"]:e["end"]] for (_, row), found in zip(rows.iterrows(), predicted)
                 for e in found}
        assert words <= {"red", "blue", "green", "cat", "dog"} and len(words) >= 3
        assert fitted.state.network_spec.context is not None  # the numeric column is fused into the tokens

    def test_evaluate_takes_entity_groups_and_autogluon_s_names(self, fitted) -> None:
        scores = fitted.evaluate(ner_table(20, seed=2), metrics=["Overall_F1", "Animal"])
        assert list(scores) == ["Overall_F1", "Animal"]
        assert set(scores["Animal"]) == {"precision", "recall", "f1", "number"}
        with pytest.raises(ConfigError, match="Unknown NER metric 'food'.*'animal', 'color'"):
            fitted.evaluate(ner_table(3), metrics=["food"])

    def test_predict_proba_gives_each_tokens_tag_probabilities(self, fitted) -> None:
        rows = ner_table(3)
        proba = fitted.predict_proba(rows)
        assert isinstance(proba, pd.Series) and proba.name == LABEL and proba.index.equals(rows.index)
        tags = ["O", "B-ANIMAL", "I-ANIMAL", "B-COLOR", "I-COLOR"]
        for (_, row), tokens, entities in zip(rows.iterrows(), proba, fitted.predict(rows)):
            assert tokens and all(list(t["probability"]) == tags for t in tokens)
            assert all(abs(sum(t["probability"].values()) - 1) < 1e-4 for t in tokens)
            assert all(t["entity_group"] == max(t["probability"], key=t["probability"].get) for t in tokens)
            assert all(0 <= t["start"] < t["end"] <= len(row["text"]) for t in tokens)
            for entity in entities:  # each predicted entity starts on a token tagged B- with its group
                first = next(t for t in tokens if t["start"] >= entity["start"])
                assert first["entity_group"] == f"B-{entity['entity_group']}"
        assert proba[0][0]["probability"] is not None  # AutoGluon's tutorial spelling


    def test_an_entity_group_unseen_in_training_is_refused(self, fitted) -> None:
        rows = ner_table(3)
        rows[LABEL] = [[{"entity_group": "FOOD", "start": 0, "end": 3}]] * 3
        with pytest.raises(InputError, match=r"row 0 has entity group\(s\) \['FOOD'\] that were not in training"):
            fitted.evaluate(rows)

    def test_non_text_cells_are_refused(self, fitted) -> None:
        rows = ner_table(3)
        rows["text"] = rows["text"].astype(object)
        rows.loc[1, "text"] = 12
        with pytest.raises(InputError, match="column 'text' row 1 holds int"):
            fitted.predict(rows)
