"""Ranking metrics of a retrieval run (NDCG, recall, MRR, MAP, precision at cutoffs) and pairwise similarity.

``ranking_scores`` takes AutoGluon-MM's layout: ``results[query_id][response_id] = score`` for what a model
retrieved and ``qrels[query_id][response_id] = relevance`` for the truth (relevance > 0 is relevant).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from .errors import ConfigError, InputError
from .suggest import did_you_mean

RANKING_METRICS = ("ndcg", "recall", "mrr", "map", "precision")
SIMILARITY_TYPES = ("cosine", "dot_prod")
DEFAULT_CUTOFFS = (1, 5, 10)


def semantic_similarity(a: Any, b: Any, similarity_type: str = "cosine") -> torch.Tensor:
    """``[len(a), len(b)]`` similarities of every row of ``a`` with every row of ``b`` (1-D inputs are one row).

    ``similarity_type`` is ``"cosine"`` or ``"dot_prod"``.
    """
    check_similarity_type(similarity_type)
    left, right = torch.as_tensor(np.asarray(a) if not torch.is_tensor(a) else a), \
        torch.as_tensor(np.asarray(b) if not torch.is_tensor(b) else b)
    left, right = (t.unsqueeze(0) if t.dim() == 1 else t for t in (left.float(), right.float()))
    if similarity_type == "cosine":
        left, right = torch.nn.functional.normalize(left, dim=1), torch.nn.functional.normalize(right, dim=1)
    return left @ right.T


def check_similarity_type(similarity_type: str) -> None:
    if similarity_type not in SIMILARITY_TYPES:
        raise ConfigError(f"similarity_type must be one of {list(SIMILARITY_TYPES)}, got {similarity_type!r}."
                          f"{did_you_mean(str(similarity_type), SIMILARITY_TYPES)}")


def check_cutoffs(cutoffs: Iterable[int] | None) -> list[int]:
    """The cutoffs as a sorted list of distinct positive integers (``DEFAULT_CUTOFFS`` when None)."""
    values = list(DEFAULT_CUTOFFS if cutoffs is None else ([cutoffs] if isinstance(cutoffs, int) else cutoffs))
    if not values or not all(isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k > 0 for k in values):
        raise ConfigError(f"cutoffs must be positive integers such as [1, 5, 10], got {cutoffs!r}.")
    return sorted({int(k) for k in values})


def ranking_metric_names(metrics: str | Sequence[str] | None) -> list[str]:
    """Base metric names (``"ndcg"``, ...; an ``@k`` suffix is dropped: the cutoffs say where to cut)."""
    names = [metrics] if isinstance(metrics, str) else list(metrics or RANKING_METRICS)
    base = [str(m).lower().split("@")[0] for m in names]
    unknown = [m for m in base if m not in RANKING_METRICS]
    if unknown:
        raise ConfigError(f"Unknown ranking metric(s) {unknown}; choose from {list(RANKING_METRICS)} (the cutoffs= "
                          f"argument gives the @k values).{did_you_mean(unknown[0], RANKING_METRICS)}")
    return list(dict.fromkeys(base))


def ranking_scores(results: Mapping[Any, Mapping[Any, float]], qrels: Mapping[Any, Mapping[Any, float]],
                   metrics: str | Sequence[str] | None = None, cutoffs: Iterable[int] | None = None,
                   ) -> dict[str, float]:
    """``{"ndcg@10": ..., ...}``: each metric at each cutoff, averaged over the queries with a relevant response.

    Relevance is binary (> 0), as in AutoGluon-MM. ``recall@k`` divides the hits by all relevant responses,
    ``map@k`` and ``ndcg@k`` by the best reachable within ``k``; ``mrr@k`` is the reciprocal rank of the first hit.
    """
    names, ks = ranking_metric_names(metrics), check_cutoffs(cutoffs)
    judged = {q: {r for r, rel in rels.items() if float(rel) > 0} for q, rels in qrels.items()}
    judged = {q: rels for q, rels in judged.items() if rels}
    if not judged:
        raise InputError("No query has a relevant response (relevance > 0) in the labels: nothing to rank.")
    totals = {f"{m}@{k}": 0.0 for k in ks for m in names}
    for query, relevant in judged.items():
        retrieved = results.get(query, {})
        ranked = sorted(retrieved, key=lambda r: -float(retrieved[r]))[: ks[-1]]
        hits = np.array([r in relevant for r in ranked], dtype=bool)
        for k in ks:
            for name, value in _query_scores(hits[:k], len(relevant), k).items():
                if name in names:
                    totals[f"{name}@{k}"] += value
    return {name: total / len(judged) for name, total in totals.items()}


def _query_scores(hits: np.ndarray, relevant: int, k: int) -> dict[str, float]:
    ranks = np.flatnonzero(hits) + 1
    reachable = min(relevant, k)
    discounts = 1.0 / np.log2(np.arange(2, reachable + 2))
    return {
        "precision": len(ranks) / k,
        "recall": len(ranks) / relevant,
        "mrr": 1.0 / ranks[0] if len(ranks) else 0.0,
        "map": float((np.arange(1, len(ranks) + 1) / ranks).sum() / reachable),
        "ndcg": float((1.0 / np.log2(ranks + 1)).sum() / discounts.sum()),
    }
