"""A matcher's ranking evaluation over a response corpus, and zero-shot scoring against candidates.

Both follow AutoGluon-MM's matching learner: ``evaluate(data, query_data=, response_data=, ...)`` ranks every
response for every query and scores the ranking against ``data``'s relevance labels; ``predict_proba(data,
candidate_data=)`` is a softmax over 100 x cosine of each row against every candidate, as CLIP does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch

from .data.ingest import read_table
from .embedding import embed_side, infer_signature, values_frame
from .errors import ConfigError, InputError
from .ranking import RANKING_METRICS, check_cutoffs, check_similarity_type, ranking_scores, semantic_similarity
from .state import PredictorState
from .utils import apply_id_mappings

CLIP_LOGIT_SCALE = 100.0  # CLIP's learned temperature, which AutoGluon-MM also applies to candidates


def side_table(state: PredictorState, data: Any, role: str) -> tuple[pd.DataFrame, str]:
    """``data`` (DataFrame, dict, path or a list of one side's values) as a table, and the side it holds."""
    if isinstance(data, (list, tuple)):
        return values_frame(state, list(data), None)
    frame = read_table(data, role)
    return frame, infer_signature(state, frame)


def evaluate_ranking(state: PredictorState, data: Any, query_data: Any, response_data: Any,
                     id_mappings: Mapping[str, Any] | None = None, label: str | None = None,
                     metrics: str | Sequence[str] | None = None, chunk_size: int = 1024,
                     similarity_type: str = "cosine", cutoffs: Sequence[int] | None = None,
                     eval_metric: str | None = None) -> dict[str, float]:
    """Rank every row of ``response_data`` for every row of ``query_data``; score against ``data``'s labels.

    ``query_data`` / ``response_data`` hold one column each, whose values (ids mapped through ``id_mappings``, or
    the content itself) also appear in ``data``'s column of that name; ``label`` is ``data``'s relevance column
    (default: the predictor's label; every row of ``data`` is relevant when there is none). Either table may hold
    either side of the predictor. Without ``metrics``: ``eval_metric`` if it is a ranking metric, else all five.
    """
    check_similarity_type(similarity_type)
    ks = check_cutoffs(cutoffs)
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ConfigError(f"chunk_size must be a positive integer, got {chunk_size!r}.")
    queries, query_column = _id_table(state, query_data, "query_data")
    responses, response_column = _id_table(state, response_data, "response_data")
    label = label if label is not None else _label(state)
    qrels = _relevance(read_table(data, "evaluation data"), query_column, response_column, label)
    query_embeddings = embed_side(state, apply_id_mappings(queries, id_mappings), None)
    results: dict[Any, dict[Any, float]] = {q: {} for q in queries[query_column]}
    for start in range(0, len(responses), int(chunk_size)):
        chunk = responses.iloc[start : start + int(chunk_size)]
        embeddings = embed_side(state, apply_id_mappings(chunk, id_mappings), None, progress=False)
        scores = semantic_similarity(query_embeddings, embeddings, similarity_type).nan_to_num(-1.0)
        top, positions = scores.topk(min(ks[-1], len(chunk)), dim=1)
        response_ids = chunk[response_column].to_numpy()
        for query, row_scores, row_positions in zip(queries[query_column], top.tolist(), positions.tolist()):
            results[query].update(zip(response_ids[row_positions], row_scores))
    return ranking_scores(results, qrels, _ranking_metrics(metrics, eval_metric), ks)


def _id_table(state: PredictorState, data: Any, role: str) -> tuple[pd.DataFrame, str]:
    frame = side_table(state, data, role)[0] if isinstance(data, (list, tuple)) else read_table(data, role)
    if frame.shape[1] != 1:
        raise InputError(f"{role} must hold one column (the ids or contents that data's column of that name holds), "
                         f"got {list(frame.columns)}.")
    return frame, str(frame.columns[0])


def _relevance(data: pd.DataFrame, query_column: str, response_column: str, label: str | None,
               ) -> dict[Any, dict[Any, float]]:
    missing = [c for c in (query_column, response_column) if c not in data.columns]
    if missing:
        raise InputError(f"data must hold the query_data and response_data columns {missing} with each labelled "
                         f"pair; it has {list(data.columns)[:10]}.")
    if label is not None and label not in data.columns:
        raise InputError(f"label={label!r} is not a column of data ({list(data.columns)[:10]}); pass label= the "
                         "relevance column.")
    relevance = pd.to_numeric(data[label], errors="coerce") if label is not None else pd.Series(1.0, data.index)
    if relevance.isna().any():
        row = relevance.index[relevance.isna()][0]
        raise InputError(f"Relevance column {label!r} must be numeric; row {row!r} has {data.loc[row, label]!r}.")
    qrels: dict[Any, dict[Any, float]] = {}
    for query, response, value in zip(data[query_column], data[response_column], relevance):
        qrels.setdefault(query, {})[response] = float(value)
    return qrels


def _label(state: PredictorState) -> str | None:
    return state.label_columns[0] if state.label_columns else None


def _ranking_metrics(metrics: str | Sequence[str] | None, eval_metric: str | None) -> str | Sequence[str]:
    """The metrics asked for; else the predictor's eval_metric when it is a ranking metric; else all of them."""
    if metrics:
        return metrics
    chosen = str(eval_metric or "").lower().split("@")[0]
    return [chosen] if chosen in RANKING_METRICS else list(RANKING_METRICS)


def candidate_probabilities(state: PredictorState, data: Any, candidate_data: Any,
                            id_mappings: Mapping[str, Any] | None = None) -> tuple[np.ndarray, pd.Index | None]:
    """``[rows, candidates]``: softmax over 100 x cosine of each row of ``data`` against every candidate.

    ``data`` and ``candidate_data`` hold different sides (images and texts for zero-shot classification).
    Returns the probabilities and ``data``'s index when it was a DataFrame (None for a dict or a list).
    """
    rows, row_side = side_table(state, data, "data")
    candidates, candidate_side = side_table(state, candidate_data, "candidate_data")
    if row_side == candidate_side:
        raise InputError(f"data and candidate_data both hold the {row_side} side; candidate_data must hold the other "
                         "side (for zero-shot image classification: images in data, class texts in candidate_data).")
    rows, candidates = apply_id_mappings(rows, id_mappings), apply_id_mappings(candidates, id_mappings)
    similarity = semantic_similarity(embed_side(state, rows, row_side), embed_side(state, candidates, candidate_side))
    probabilities = torch.softmax(CLIP_LOGIT_SCALE * similarity, dim=1).numpy()
    return probabilities, rows.index if isinstance(data, pd.DataFrame) else None
