"""A matcher's metrics under eval_metric= / validation_metric=: AutoGluon's names, and what each label kind gives."""

from __future__ import annotations

import numpy as np
import pytest

from automm.core.metric_choice import choose, for_validation
from automm.core.metric_names import resolve
from automm.match.task import MatchTask

SIDES = {"query": ["q"], "response": ["r"]}


def task_of(kind: str) -> MatchTask:
    return MatchTask("text_similarity", SIDES, "label", kind, "yes", "no", (0.0, 5.0), (7.0, -2.0))


def test_autogluon_s_correlation_names_are_the_matcher_s() -> None:
    assert resolve("spearmanr", "text_similarity") == "spearman"
    assert resolve("PEARSONR", "image_text_similarity") == "pearson"
    assert resolve("recall@5", "image_similarity") == "recall@5"


@pytest.mark.parametrize(("kind", "chosen", "targets", "expected"), [
    ("graded", "spearmanr", [[1.0, 0, 0], [3.0, 1, 1]], "spearman"),
    ("graded", "mrr@10", [[1.0, 0, 0], [3.0, 1, 1]], "spearman"),  # graded labels give no ranking metric
    ("binary", "roc_auc", [[1.0, 0, 0], [1.0, 1, 1]], "accuracy"),  # one label value in the validation rows
    ("binary", "ndcg@10", [[1.0, 0, 0], [0.0, 1, 1]], "ndcg@10"),
    ("positive", "roc_auc", [[1.0, 0, 0], [1.0, 1, 1]], "mrr@10"),
])
def test_the_tracked_metric_falls_back_where_the_labels_cannot_give_it(kind: str, chosen: str, targets: list,
                                                                     expected: str) -> None:
    task = task_of(kind)
    task.chosen_metrics = choose("text_similarity", chosen, None)
    assert for_validation(task, np.array(targets))[0] == expected
    assert task.default_metric_names()[0] == task.validation_metric[0]
