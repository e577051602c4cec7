"""Token ids of one or more text columns -> one padded sequence per row (rule family "text").

The rules: None / NaN / NA cells are empty strings, cut to ``char_cap`` characters before tokenising; each column
is tokenised without special tokens, truncation or padding; a row is ``start_id``, then each column's tokens
followed by ``end_id`` (null ids are left out); the longest column is shortened first until the row fits
``max_length``; rows are right-padded with ``pad_id`` to the batch's longest (at least 2); a row has text when any
column has at least one token. Tokenisers differ (transformers while training, ``tokenizers`` in a runtime): both
hand their token ids to ``encode_rows``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .cells import is_missing

CHARS_PER_TOKEN = 20  # a cell is cut to max_length * this many characters before tokenising (the default cap)


def cell_texts(values: Sequence[Any], char_cap: int) -> list[str]:
    """The cells as strings, missing ones empty, each cut to ``char_cap`` characters (a megabyte of text must not
    cost a megabyte of tokens)."""
    return ["" if is_missing(v) else str(v)[:char_cap] for v in values]


def truncate_longest_first(pieces: list[list[int]], budget: int) -> list[list[int]]:
    """Shorten the longest piece (down to the second longest, one token at least) until the total fits ``budget``."""
    lengths = [len(p) for p in pieces]
    while sum(lengths) > budget:
        longest = int(np.argmax(lengths))
        second = sorted(lengths)[-2] if len(lengths) > 1 else 0
        lengths[longest] -= max(1, min(sum(lengths) - budget, lengths[longest] - second))
    return [p[:n] for p, n in zip(pieces, lengths)]


def special_token_count(start_id: int | None, end_id: int | None, columns: int) -> int:
    """Special tokens in a row of ``columns`` columns: the start id once, the end id after each column."""
    return (start_id is not None) + (end_id is not None) * max(1, columns)


def join_pieces(pieces: Sequence[list[int]], start_id: int | None, end_id: int | None) -> list[int]:
    """``start_id``, then each piece followed by ``end_id`` (a null id is left out)."""
    sequence = [start_id] if start_id is not None else []
    for piece in pieces:
        sequence += piece + ([end_id] if end_id is not None else [])
    return sequence


def encode_rows(per_column: Sequence[Sequence[list[int]]], rows: int, max_length: int, start_id: int | None,
                end_id: int | None, pad_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Token ids ``[rows, width]`` int64, attention mask (same shape, int64) and a has-text flag per row.

    Args:
        per_column: each text column's token ids per row (no special tokens).
        rows: the number of rows (``per_column`` may be empty).
        max_length: the longest a row may be, special tokens included.
        start_id: the id before the first column (None: none).
        end_id: the id after each column (None: none).
        pad_id: the id of padding on the right; ``width`` is the longest row (at least 2).
    """
    budget = max_length - special_token_count(start_id, end_id, len(per_column))
    sequences, present = [], np.zeros(rows, dtype=bool)
    for row in range(rows):
        pieces = truncate_longest_first([column[row] for column in per_column], budget)
        present[row] = any(pieces)
        sequences.append(join_pieces(pieces, start_id, end_id))
    width = max([2, *(len(s) for s in sequences)])
    ids = np.full((rows, width), pad_id, dtype=np.int64)
    mask = np.zeros((rows, width), dtype=np.int64)
    for row, sequence in enumerate(sequences):
        ids[row, : len(sequence)] = sequence
        mask[row, : len(sequence)] = 1
    return ids, mask, present
