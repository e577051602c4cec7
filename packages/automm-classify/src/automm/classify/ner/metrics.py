"""Entity-level scores with seqeval (strict IOB2 over sub-word tokens), as AutoGluon-MM names them.

``overall_f1`` (the validation metric), ``overall_precision`` and ``overall_recall`` count an entity as found when
its group and its first and last token match; ``overall_accuracy`` is the share of tokens with the right tag. An
entity group's name (lower-cased, as AutoGluon-MM reports it) gives that group's
``{"precision", "recall", "f1", "number"}``.
Gold entities are tagged on the same tokens as the predictions, so text cut at ``model.text.max_length`` is not
scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torchmetrics import Metric
from torchmetrics.utilities import dim_zero_cat

from automm.core.errors import ConfigError
from automm.core.plugin import did_you_mean

from .tags import IGNORE, TagScheme

METRICS = ("overall_f1", "overall_precision", "overall_recall", "overall_accuracy")


def check_metric_names(names: list[str], groups: Sequence[str] = ()) -> None:
    """Refuse a name that is neither an ``overall_*`` metric nor one of the entity ``groups`` (lower-cased)."""
    known = [*METRICS, *(g.lower() for g in groups)]
    for name in names:
        if name not in known:
            raise ConfigError(f"Unknown NER metric {name!r}.{did_you_mean(name, known)} Available: {known}.")


class NERMetric(Metric):
    """``update(outputs, spans)``: per row the network's ``{"tags", "offsets"}`` and the gold spans."""

    full_state_update = False

    def __init__(self, scheme: TagScheme, names: list[str]):
        super().__init__()
        check_metric_names(names, scheme.groups)
        self.scheme, self.names = scheme, list(names)
        for state in ("predicted", "gold", "lengths"):
            self.add_state(state, default=[], dist_reduce_fx="cat")

    def update(self, outputs: list[dict[str, Any]], spans: list[list[Any]]) -> None:
        for output, row in zip(outputs, spans):
            offsets = np.asarray(_numpy(output["offsets"]))
            gold = self.scheme.align(row, offsets)
            keep = gold != IGNORE
            self.predicted.append(torch.as_tensor(np.asarray(_numpy(output["tags"]))[keep], dtype=torch.long))
            self.gold.append(torch.as_tensor(gold[keep]))
            self.lengths.append(torch.tensor([int(keep.sum())]))

    def compute(self) -> dict[str, Any]:
        from seqeval.metrics import accuracy_score, classification_report, f1_score, precision_score, recall_score
        from seqeval.scheme import IOB2

        if not self.lengths:
            return {name: float("nan") for name in self.names}
        cuts = np.cumsum(dim_zero_cat(self.lengths).cpu().numpy())[:-1]
        predicted = [self.scheme.names(r) for r in np.split(dim_zero_cat(self.predicted).cpu().numpy(), cuts)]
        gold = [self.scheme.names(r) for r in np.split(dim_zero_cat(self.gold).cpu().numpy(), cuts)]
        strict = {"mode": "strict", "scheme": IOB2, "zero_division": 0}
        scores = {"overall_f1": lambda: f1_score(gold, predicted, **strict),
                  "overall_precision": lambda: precision_score(gold, predicted, **strict),
                  "overall_recall": lambda: recall_score(gold, predicted, **strict),
                  "overall_accuracy": lambda: accuracy_score(gold, predicted)}
        groups = [name for name in self.names if name not in scores]
        report = classification_report(gold, predicted, output_dict=True, **strict) if groups else {}
        per_group = {group.lower(): _group_scores(report.get(group)) for group in self.scheme.groups}
        return {name: float(scores[name]()) if name in scores else per_group[name] for name in self.names}


def _group_scores(row: dict[str, Any] | None) -> dict[str, float]:
    """One group's row of seqeval's report as AutoGluon-MM keys it; zeros for a group absent from both sides."""
    row = row or {}
    return {"precision": float(row.get("precision", 0.0)), "recall": float(row.get("recall", 0.0)),
            "f1": float(row.get("f1-score", 0.0)), "number": int(row.get("support", 0))}


def _numpy(value: Any) -> Any:
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value
