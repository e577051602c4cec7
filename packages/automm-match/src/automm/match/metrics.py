"""Scores of a matcher: ROC-AUC and accuracy for labelled pairs, correlations for graded ones,
Recall@k / MRR@10 / NDCG@10 for retrieval among the pairs' distinct queries and responses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from automm.core.base.decoders import pair_similarity  # noqa: F401  (the one cosine of a pair, for this package)
from automm.core.plugin import top_k_cosine

RETRIEVAL_METRICS = ("mrr@10", "recall@1", "recall@5", "recall@10", "ndcg@10")


def binary_scores(similarity: np.ndarray, probability: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    from torchmetrics.functional.classification import binary_accuracy, binary_auroc, binary_f1_score

    target = torch.from_numpy(labels.astype(np.int64))
    if len(np.unique(labels)) < 2:
        auc = float("nan")  # ROC-AUC needs both matching and non-matching pairs
    else:
        auc = float(binary_auroc(torch.from_numpy(similarity.astype(np.float32)), target))
    probs = torch.from_numpy(probability.astype(np.float32))
    return {"roc_auc": auc, "accuracy": float(binary_accuracy(probs, target)),
            "f1": float(binary_f1_score(probs, target))}


def graded_scores(similarity: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    frame = pd.DataFrame({"similarity": similarity, "label": labels})
    return {"spearman": float(frame.corr(method="spearman").iloc[0, 1]),
            "pearson": float(frame.corr(method="pearson").iloc[0, 1])}


def retrieval_scores(outputs: np.ndarray, query_groups: np.ndarray, response_groups: np.ndarray) -> dict[str, float]:
    """Each distinct query ranks every distinct response; the responses it is paired with are relevant."""
    if len(outputs) == 0:
        return dict.fromkeys(RETRIEVAL_METRICS, float("nan"))
    queries, query_rows = np.unique(query_groups, return_index=True)
    responses, response_rows = np.unique(response_groups, return_index=True)
    relevant: dict[int, set[int]] = {}
    response_position = {int(r): i for i, r in enumerate(responses)}
    for q, r in zip(query_groups, response_groups):
        relevant.setdefault(int(q), set()).add(response_position[int(r)])
    _, ranked = top_k_cosine(outputs[query_rows, 0], [outputs[response_rows, 1]], 10)
    totals = dict.fromkeys(RETRIEVAL_METRICS, 0.0)
    discounts = 1.0 / np.log2(np.arange(2, 12))
    for q, hits in zip(queries, ranked):
        wanted = relevant[int(q)]
        found = np.array([h in wanted for h in hits], dtype=bool)
        totals["mrr@10"] += 1.0 / (found.argmax() + 1) if found.any() else 0.0
        for k in (1, 5, 10):
            totals[f"recall@{k}"] += found[:k].sum() / len(wanted)
        ideal = discounts[: min(len(wanted), 10)].sum()
        totals["ndcg@10"] += float((found * discounts[: len(found)]).sum() / ideal)
    return {name: float(value / len(queries)) for name, value in totals.items()}
