"""Tokenisation of one or more text columns into one sequence, truncating the longest column first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .text_augment import WordAugment

CHARS_PER_TOKEN = 20  # a cell is cut to max_length * this many characters before tokenising
# The rules of transform() by name, stored in processors.json for runtimes that redo it without transformers.
RULES = {
    "tokenizer": "tokenizer.json, without special tokens, truncation or padding, one call per column",
    "missing": "None / NaN / NA cells are empty strings",
    "join": "start_id, then each column's tokens followed by end_id (ids that are null are left out)",
    "truncation": "longest_first: shorten the longest column's tokens until the joined sequence fits max_length",
    "padding": "right, with pad_id, to the longest sequence of the batch (at least 2)",
    "present": "a row has text when any column has at least one token",
}


@dataclass(frozen=True)
class TextProcessor:
    """``[CLS] col1 [SEP] col2 [SEP] ...`` token ids; the tokenizer is saved beside the model.

    ``char_cap``: characters of a cell kept before tokenising (0: ``max_length * CHARS_PER_TOKEN``).
    """

    columns: list[str]
    max_length: int
    tokenizer: Any  # a transformers tokenizer (saved with save_pretrained, never pickled)
    char_cap: int = 0

    def transform(self, data: Mapping[str, Any], augment: WordAugment | None = None) -> dict[str, np.ndarray]:
        """Token ids, attention mask and a per-row flag of whether any text was present.

        ``augment`` (training only) rewrites each non-empty cell before tokenising.
        """
        per_column = [self._tokenize(data[c], augment) for c in self.columns]
        rows = len(per_column[0]) if per_column else 0
        budget = self.max_length - self._num_special_tokens()
        ids = np.full((rows, self.max_length), self.pad_id, dtype=np.int64)
        mask = np.zeros((rows, self.max_length), dtype=np.int64)
        present = np.zeros(rows, dtype=bool)
        longest = 2
        for row in range(rows):
            pieces = truncate_longest_first([col[row] for col in per_column], budget)
            present[row] = any(pieces)
            sequence = self._join(pieces)
            ids[row, : len(sequence)] = sequence
            mask[row, : len(sequence)] = 1
            longest = max(longest, len(sequence))
        return {"input_ids": ids[:, :longest], "attention_mask": mask[:, :longest], "present": present}

    @property
    def pad_id(self) -> int:
        return int(self.tokenizer.pad_token_id or 0)

    @property
    def cell_chars(self) -> int:
        return self.char_cap or self.max_length * CHARS_PER_TOKEN

    def to_json(self) -> dict[str, Any]:
        """The recipe: columns, lengths, special ids and the rules (the tokenizer is saved as files)."""
        start, end = self._special_ids()
        return {"columns": self.columns, "max_length": self.max_length, "char_cap": self.cell_chars,
                "start_id": start, "end_id": end, "pad_id": self.pad_id, "rules": RULES}

    @classmethod
    def from_json(cls, data: dict[str, Any], tokenizer: Any) -> TextProcessor:
        if data.get("rules", RULES) != RULES:
            raise ValueError("text.rules are not the rules this version implements")
        return cls(list(data["columns"]), int(data["max_length"]), tokenizer, int(data.get("char_cap", 0)))

    def _tokenize(self, values: Sequence[Any], augment: WordAugment | None = None) -> list[list[int]]:
        texts = ["" if _is_missing(v) else str(v) for v in values]
        # Cap characters before tokenising: a megabyte of text must not cost a megabyte of tokens.
        texts = [t[: self.cell_chars] for t in texts]
        if augment is not None and augment.active:
            texts = [augment(t) for t in texts]
        return self.tokenizer(texts, add_special_tokens=False, truncation=False, verbose=False)["input_ids"]

    def _special_ids(self) -> tuple[int, int]:
        tok = self.tokenizer
        start = tok.cls_token_id if tok.cls_token_id is not None else tok.bos_token_id
        end = tok.sep_token_id if tok.sep_token_id is not None else tok.eos_token_id
        return start, end

    def _num_special_tokens(self) -> int:
        start, end = self._special_ids()
        return (start is not None) + (end is not None) * max(1, len(self.columns))

    def _join(self, pieces: list[list[int]]) -> list[int]:
        start, end = self._special_ids()
        sequence = [start] if start is not None else []
        for piece in pieces:
            sequence += piece + ([end] if end is not None else [])
        return sequence


def truncate_longest_first(pieces: list[list[int]], budget: int) -> list[list[int]]:
    """Shorten the longest piece one token at a time until the total fits ``budget``."""
    lengths = [len(p) for p in pieces]
    while sum(lengths) > budget:
        longest = int(np.argmax(lengths))
        excess = sum(lengths) - budget
        second = sorted(lengths)[-2] if len(lengths) > 1 else 0
        lengths[longest] -= max(1, min(excess, lengths[longest] - second))
    return [p[:n] for p, n in zip(pieces, lengths)]


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA
