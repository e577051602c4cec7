"""Embeddings of one side of a predictor's rows, and chunked top-k semantic search over a corpus."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from .data.ingest import read_table, require_features
from .data.rows import check_images
from .data.sides import SidedProcessors
from .errors import ConfigError, InputError
from .inference import run_network
from .state import PredictorState
from .suggest import did_you_mean


def embed_side(state: PredictorState, frame: pd.DataFrame, signature: str | None, progress: bool | None = None,
               ) -> np.ndarray:
    """``[rows, embedding_size]``: the fused row embedding, or one side's (``signature``) for a sided network."""
    env, net = state.config.env, state.net
    sides = state.task.signatures
    if signature is None:
        if sides:
            raise ConfigError(f"A {state.problem_type} predictor embeds each side separately: pass signature= one of "
                              f"{list(sides)}.")
        processors, forward = state.processors, net.embed
        columns = state.feature_columns
    else:
        if signature not in sides:
            hint = did_you_mean(signature, sides)
            raise ConfigError(f"signature={signature!r} is not a side of this predictor.{hint} "
                              f"Sides: {list(sides) or 'none (call extract_embedding without signature)'}.")
        if not isinstance(state.processors, SidedProcessors):
            raise ConfigError(f"This predictor's network has no separate {signature!r} side.")
        processors, forward = state.processors.sides[signature], partial(net.encode, signature)
        columns = processors.columns
    require_features(frame, columns, "data" if signature is None else f"data for signature={signature!r}")
    features = frame[columns]
    state.task.check_inputs(features, "data")
    check_images(processors, features, "data")
    return run_network(net, processors, features, env.eval_batch_size, forward=forward,
                       row_shape=(net.embedding_size,), num_workers=env.num_workers,
                       realtime_max_rows=env.realtime_max_rows, progress=progress)


def search(state: PredictorState, queries: pd.DataFrame | np.ndarray, corpus: pd.DataFrame | np.ndarray | str,
           top_k: int, chunk_size: int) -> pd.DataFrame:
    """Top-k corpus rows per query by cosine similarity; the corpus is embedded and scored chunk by chunk."""
    sides = state.task.signatures
    if not sides:
        raise ConfigError(f"search() needs a matching predictor (problem_type='text_similarity', 'image_similarity' "
                          f"or 'image_text_similarity'); this one is {state.problem_type!r}.")
    if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1:
        raise ConfigError(f"top_k must be a positive integer, got {top_k!r}.")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ConfigError(f"corpus_chunk_size must be a positive integer, got {chunk_size!r}.")
    query_embeddings, query_labels = _embedded(state, queries, sides[0], "queries")
    if not isinstance(corpus, np.ndarray):
        corpus = read_table(corpus, "corpus")
    corpus_labels = np.arange(len(corpus)) if isinstance(corpus, np.ndarray) else corpus.index.to_numpy()
    chunks = _corpus_chunks(state, corpus, sides[-1], chunk_size)
    scores, positions = top_k_cosine(query_embeddings, chunks, int(top_k))
    k = scores.shape[1]
    return pd.DataFrame({
        "query": np.repeat(query_labels, k),
        "rank": np.tile(np.arange(1, k + 1), len(query_labels)),
        "corpus": corpus_labels[positions.reshape(-1)],
        "score": scores.reshape(-1),
    })


def _embedded(state: PredictorState, data: pd.DataFrame | np.ndarray, signature: str, role: str,
              ) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(data, np.ndarray):
        if data.ndim != 2 or data.shape[1] != state.net.embedding_size:
            raise InputError(f"{role} embeddings must have shape [rows, {state.net.embedding_size}], got "
                             f"{list(data.shape)}.")
        return data.astype(np.float32, copy=False), np.arange(len(data))
    return embed_side(state, data, signature), data.index.to_numpy()


def _corpus_chunks(state: PredictorState, corpus: pd.DataFrame | np.ndarray, signature: str, chunk_size: int,
                   ) -> Iterator[np.ndarray]:
    starts = range(0, len(corpus), chunk_size)
    for start in tqdm(starts, desc="search", unit="chunk", disable=len(starts) < 2):
        part = corpus[start : start + chunk_size]
        if isinstance(part, np.ndarray):
            yield _embedded(state, part, signature, "corpus")[0]
        else:
            yield embed_side(state, part, signature, progress=False)


def top_k_cosine(queries: np.ndarray, corpus_chunks: Iterator[np.ndarray] | list[np.ndarray], k: int,
                 query_block: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Scores and corpus positions ``[queries, <=k]`` of the most cosine-similar rows, best first.

    The corpus arrives in chunks and only the running top k is kept, so memory is
    ``O(queries * (k + chunk))`` whatever the corpus size.
    """
    query = torch.nn.functional.normalize(torch.from_numpy(np.ascontiguousarray(queries, np.float32)), dim=1)
    best_scores = torch.empty(len(query), 0)
    best_positions = torch.empty(len(query), 0, dtype=torch.long)
    offset = 0
    for chunk in corpus_chunks:
        candidates = torch.nn.functional.normalize(torch.from_numpy(np.ascontiguousarray(chunk, np.float32)), dim=1)
        merged_scores, merged_positions = [], []
        for start in range(0, len(query), query_block):
            block = slice(start, start + query_block)
            scores, positions = (query[block] @ candidates.T).topk(min(k, len(candidates)), dim=1)
            scores = torch.cat([best_scores[block], scores], dim=1)
            positions = torch.cat([best_positions[block], positions + offset], dim=1)
            top, order = scores.topk(min(k, scores.shape[1]), dim=1)
            merged_scores.append(top)
            merged_positions.append(positions.gather(1, order))
        if merged_scores:
            best_scores, best_positions = torch.cat(merged_scores), torch.cat(merged_positions)
        offset += len(candidates)
    return best_scores.numpy(), best_positions.numpy()
