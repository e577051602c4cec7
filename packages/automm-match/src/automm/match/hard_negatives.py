"""Hard-negative mining: before training, give each pair the most similar response that is not its own.

The pretrained model embeds the distinct queries and responses of the training pairs; each query's
best-ranked response among those it is *not* paired with becomes that pair's negative, encoded by the
response tower as a third side. The ranking loss then sees it next to the in-batch negatives.
"""

from __future__ import annotations

import dataclasses
from functools import partial

import numpy as np
import pandas as pd
from torch import nn

from automm.core.plugin import Processors, SidedProcessors, run_network, top_k_cosine

NEGATIVE = "negative"
CANDIDATES = 20  # ranked responses searched per query for one that is not a positive


def add_hard_negatives(net: nn.Module, processors: SidedProcessors, features: pd.DataFrame, targets: np.ndarray,
                       batch_size: int) -> tuple[SidedProcessors, pd.DataFrame, np.ndarray]:
    """Training processors with a "negative" side, features with that side's columns filled in, and targets
    with a fourth column: the negative's response group."""
    query_groups, response_groups = targets[:, 1].astype(np.int64), targets[:, 2].astype(np.int64)
    _, query_rows = np.unique(query_groups, return_index=True)
    _, response_rows = np.unique(response_groups, return_index=True)
    queries = _embed(net, processors, "query", features.iloc[query_rows], batch_size)
    responses = _embed(net, processors, "response", features.iloc[response_rows], batch_size)
    _, ranked = top_k_cosine(queries, [responses], min(CANDIDATES, len(response_rows)))
    positives: dict[int, set[int]] = {}
    for q, r in zip(query_groups, response_groups):
        positives.setdefault(int(q), set()).add(int(r))
    negative_of_query = {}
    for q, candidates in zip(query_groups[query_rows], ranked):
        wanted = positives[int(q)]
        hard = next((int(c) for c in candidates if int(response_groups[response_rows[c]]) not in wanted), None)
        negative_of_query[int(q)] = response_rows[hard] if hard is not None else _any_other(response_rows, q, wanted,
                                                                                             response_groups)
    negative_rows = np.array([negative_of_query[int(q)] for q in query_groups])
    response = processors.sides["response"]
    renamed = {c: f"{c}__{NEGATIVE}" for c in response.columns}
    extra = features[list(renamed)].iloc[negative_rows].set_axis(features.index).rename(columns=renamed)
    sides = {**processors.sides, NEGATIVE: _renamed(response, renamed)}
    negative_groups = response_groups[negative_rows].astype(targets.dtype)
    return SidedProcessors(sides), pd.concat([features, extra], axis=1), np.column_stack([targets, negative_groups])


def _embed(net: nn.Module, processors: SidedProcessors, side: str, rows: pd.DataFrame, batch_size: int,
           ) -> np.ndarray:
    side_processors = processors.sides[side]
    return run_network(net, side_processors, rows[side_processors.columns], batch_size,
                       forward=partial(net.encode, side), row_shape=(net.embedding_size,), progress=False)


def _any_other(response_rows: np.ndarray, query: int, wanted: set[int], groups: np.ndarray) -> int:
    """A response row not paired with ``query`` (when none of the top candidates qualifies)."""
    others = [row for row in response_rows if int(groups[row]) not in wanted]
    return int(others[query % len(others)]) if others else int(response_rows[0])


def _renamed(processors: Processors, names: dict[str, str]) -> Processors:
    """The same processors reading renamed columns."""
    text = processors.text and dataclasses.replace(processors.text, columns=[names[c] for c in processors.text.columns])
    image = processors.image and dataclasses.replace(processors.image,
                                                     columns=[names[c] for c in processors.image.columns])
    return dataclasses.replace(processors, text=text, image=image)
