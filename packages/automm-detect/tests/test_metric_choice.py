"""Detection metrics by AutoGluon's names, each class's mAP, and evaluate()'s default order under eval_metric=."""

from __future__ import annotations

from automm.core.metric_choice import choose, evaluation_names, tracked
from automm.core.metric_names import resolve
from automm.detect.task import DetectionTask


def test_class_maps_and_aliases_resolve_and_eval_metric_comes_first() -> None:
    task = DetectionTask("object_detection", ["Cat", "dog"])
    assert task.extra_metric_names() == ("map_Cat", "map_dog")
    assert resolve("MAP_cat", "object_detection", task.extra_metric_names()) == "map_Cat"
    assert resolve("mean_average_precision", "object_detection") == "map"
    task.chosen_metrics = choose("object_detection", "map_50", None)
    assert tracked(task) == ("map_50", True)
    names = evaluation_names(task)
    assert names[:2] == ["map_50", "map"] and names[-2:] == ["map_Cat", "map_dog"] and names.count("map_50") == 1
