"""Exports made by automm-deploy 0.2 (manifest format 2 and older): their manifests name no decoder and no graph
feed, so both are derived here, once, from the problem type and the task's JSON as the tasks of that time saved
them. This is the only module of automm-deploy that knows problem types; newer exports carry their decoder spec.
"""

from __future__ import annotations

from typing import Any

from .errors import DeployError

# network kind -> how the runtime feeds its graphs (matchers embed each side with its own graph)
FEEDS = {"multimodal": "multimodal", "bi_encoder": "sides", "clip": "sides", "segmenter": "segmenter",
         "detector": "detector"}
MATCHING = ("text_similarity", "image_similarity", "image_text_similarity")


def feed(network_kind: str) -> str:
    """The graph feed of an old export's network kind (unknown kinds are refused when the runtime loads)."""
    return FEEDS.get(network_kind, network_kind)


def decoder_spec(problem_type: str, task: dict[str, Any], processors: dict[str, Any]) -> dict[str, Any]:
    """The decoder spec of an old export, from its problem type and task JSON.

    Raises:
        DeployError: a problem type automm-deploy 0.2 could not export (the message says how to re-export).
    """
    if problem_type in ("binary", "multiclass", "few_shot_classification"):
        return {"decoder": "classes", "column": task["column"], "classes": task["classes"]}
    if problem_type in ("regression", "multi_output_regression"):
        return {"decoder": "values", "columns": task["columns"], "means": task["means"], "stds": task["stds"],
                "series": problem_type == "regression"}
    if problem_type == "multilabel":
        return {"decoder": "binary_columns", "columns": task["columns"], "values": task["values"]}
    if problem_type in MATCHING:
        return {"decoder": "match", "name": task.get("label") or "match", "kind": task["kind"],
                "match_label": task["match_label"], "other_label": task["other_label"],
                "label_range": task["label_range"], "platt": task["platt"]}
    if problem_type == "semantic_segmentation":
        return {"decoder": "masks", "codec": task["codec"], "threshold": float(task.get("threshold", 0.5))}
    if problem_type == "object_detection":
        return {"decoder": "boxes", "classes": task["classes"], "image_column": processors["column"]}
    raise DeployError(f"This export (manifest format 2 or older) holds a {problem_type!r} predictor, which this "
                      "automm-deploy cannot decode. Export the saved predictor again with this automm-deploy: "
                      "automm-deploy export <predictor folder> <new folder>.")
