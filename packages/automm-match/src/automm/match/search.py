"""AutoGluon-MM's retrieval helpers with its signatures: ``semantic_search``, ``compute_ranking_score`` and
``compute_semantic_similarity`` (``from autogluon.multimodal.utils import ...`` becomes
``from automm.match import ...``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from automm.core.errors import ConfigError
from automm.core.plugin import DEFAULT_CUTOFFS, ranking_scores, semantic_similarity


def compute_semantic_similarity(a: Any, b: Any, similarity_type: str = "cosine") -> torch.Tensor:
    """``[len(a), len(b)]`` similarities (``"cosine"`` or ``"dot_prod"``) of every row of ``a`` with every row
    of ``b``; 1-D inputs count as one row. Tensors, arrays and lists are accepted."""
    return semantic_similarity(a, b, similarity_type)


def compute_ranking_score(results: Mapping[Any, Mapping[Any, float]], qrel_dict: Mapping[Any, Mapping[Any, float]],
                          metrics: str | Sequence[str] | None = None, cutoffs: Sequence[int] = (5, 10, 20),
                          ) -> dict[str, float]:
    """``{"ndcg@10": ...}``: ranking metrics of ``results`` (``{query: {response: score}}``) against
    ``qrel_dict`` (``{query: {response: relevance}}``) at each cutoff.

    ``metrics``: any of ``"ndcg"``, ``"recall"``, ``"mrr"``, ``"map"``, ``"precision"`` (default: all).

    Example:
        >>> compute_ranking_score({"q1": {"d1": 0.9, "d2": 0.1}}, {"q1": {"d2": 1}}, ["ndcg"], cutoffs=[1, 2])
        {'ndcg@1': 0.0, 'ndcg@2': 0.6309297535714575}
    """
    return ranking_scores(results, qrel_dict, metrics, cutoffs if cutoffs is not None else DEFAULT_CUTOFFS)


def semantic_search(matcher: Any, query_data: Any = None, response_data: Any = None, query_embeddings: Any = None,
                    response_embeddings: Any = None, query_chunk_size: int = 128, response_chunk_size: int = 500000,
                    top_k: int = 10, id_mappings: Mapping[str, Any] | None = None,
                    similarity_type: str = "cosine") -> list[list[dict[str, Any]]]:
    """For each query, its ``top_k`` responses as ``{"response_id": position in the responses, "score": ...}``,
    best first (AutoGluon-MM's layout).

    Give each side as data (a DataFrame, dict or list, embedded by ``matcher.extract_embedding``) or as embeddings
    (``extract_embedding(..., as_tensor=True)``), not both. Queries and responses are processed in chunks.

    Example:
        >>> hits = semantic_search(predictor, query_data=["a red car"], response_data=captions, top_k=3)
        >>> best = hits[0]  # the first query's hits
        >>> best[0].get("response_id")
    """
    if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1:
        raise ConfigError(f"top_k must be a positive integer, got {top_k!r}.")
    queries = list(_chunks(matcher, query_data, query_embeddings, "query", query_chunk_size, id_mappings))
    best: list[tuple[torch.Tensor, torch.Tensor]] = [(torch.empty(len(q), 0), torch.empty(len(q), 0, dtype=torch.long))
                                                     for q in queries]
    offset = 0
    for responses in _chunks(matcher, response_data, response_embeddings, "response", response_chunk_size,
                             id_mappings):
        for i, chunk in enumerate(queries):
            scores, positions = compute_semantic_similarity(chunk, responses, similarity_type).topk(
                min(int(top_k), len(responses)), dim=1)
            merged = torch.cat([best[i][0], scores], dim=1)
            merged_positions = torch.cat([best[i][1], positions + offset], dim=1)
            top, order = merged.topk(min(int(top_k), merged.shape[1]), dim=1)
            best[i] = (top, merged_positions.gather(1, order))
        offset += len(responses)
    return [[{"response_id": int(p), "score": float(s)} for s, p in zip(row_scores, row_positions)]
            for scores, positions in best for row_scores, row_positions in zip(scores.tolist(), positions.tolist())]


def _chunks(matcher: Any, data: Any, embeddings: Any, role: str, chunk_size: int,
            id_mappings: Mapping[str, Any] | None) -> Iterator[torch.Tensor]:
    """One side's embeddings, ``chunk_size`` rows at a time."""
    if (data is None) == (embeddings is None):
        raise ConfigError(f"Pass either {role}_data= or {role}_embeddings= (exactly one of them).")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ConfigError(f"{role}_chunk_size must be a positive integer, got {chunk_size!r}.")
    if embeddings is not None:
        tensor = torch.as_tensor(np.asarray(embeddings) if not torch.is_tensor(embeddings) else embeddings).float()
        tensor = tensor.unsqueeze(0) if tensor.dim() == 1 else tensor
        yield from tensor.split(int(chunk_size))
        return
    if isinstance(data, (list, tuple)):
        parts: Iterator[Any] = (list(data[s : s + chunk_size]) for s in range(0, len(data), chunk_size))
    else:
        from automm.core.plugin import read_table

        frame = read_table(data, f"{role}_data")
        parts = (frame.iloc[s : s + chunk_size] for s in range(0, len(frame), chunk_size))
    for part in parts:
        yield matcher.extract_embedding(part, id_mappings=id_mappings, as_tensor=True)
