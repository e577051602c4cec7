"""Text columns -> token ids with the saved ``tokenizer.json`` (Hugging Face ``tokenizers``, no transformers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tokenizers import Tokenizer

from ..errors import DeployError

# The text rules this runtime implements, as automm-core writes them in processors.json.
RULES = {
    "tokenizer": "tokenizer.json, without special tokens, truncation or padding, one call per column",
    "missing": "None / NaN / NA cells are empty strings",
    "join": "start_id, then each column's tokens followed by end_id (ids that are null are left out)",
    "truncation": "longest_first: shorten the longest column's tokens until the joined sequence fits max_length",
    "padding": "right, with pad_id, to the longest sequence of the batch (at least 2)",
    "present": "a row has text when any column has at least one token",
}
CHARS_PER_TOKEN = 20  # the cap's default in predictors saved before it was stored


class TextInputs:
    """Token ids, attention mask and a has-text flag per row, as ``recipe`` (processors.json's "text") says."""

    def __init__(self, recipe: dict[str, Any], tokenizer_file: Path):
        if "start_id" not in recipe:
            raise DeployError("processors.json predates the stored text recipe (automm-core < 0.2.3): load the "
                              "predictor with automm-core >= 0.2.3, save it again, then export.")
        if recipe.get("rules") != RULES:
            raise DeployError("processors.json's text rules are not the ones this automm-deploy implements: "
                              "upgrade automm-deploy.")
        self.columns: list[str] = list(recipe["columns"])
        self.max_length = int(recipe["max_length"])
        self.char_cap = int(recipe.get("char_cap") or self.max_length * CHARS_PER_TOKEN)
        self.start_id, self.end_id, self.pad_id = recipe["start_id"], recipe["end_id"], int(recipe["pad_id"])
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()

    def __call__(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        per_column = [self._tokenize(frame[c]) for c in self.columns]
        rows = len(frame)
        specials = (self.start_id is not None) + (self.end_id is not None) * max(1, len(self.columns))
        budget = self.max_length - specials
        sequences, present = [], np.zeros(rows, dtype=bool)
        for row in range(rows):
            pieces = longest_first([column[row] for column in per_column], budget)
            present[row] = any(pieces)
            sequence = [self.start_id] if self.start_id is not None else []
            for piece in pieces:
                sequence += piece + ([self.end_id] if self.end_id is not None else [])
            sequences.append(sequence)
        width = max([2, *(len(s) for s in sequences)])
        ids = np.full((rows, width), self.pad_id, dtype=np.int64)
        mask = np.zeros((rows, width), dtype=np.int64)
        for row, sequence in enumerate(sequences):
            ids[row, : len(sequence)] = sequence
            mask[row, : len(sequence)] = 1
        return {"text_ids": ids, "text_mask": mask, "text_present": present}

    def _tokenize(self, cells: pd.Series) -> list[list[int]]:
        texts = ["" if _missing(v) else str(v)[: self.char_cap] for v in cells]
        return [encoding.ids for encoding in self.tokenizer.encode_batch(texts, add_special_tokens=False)]


def longest_first(pieces: list[list[int]], budget: int) -> list[list[int]]:
    """Cut the longest piece (down to the second longest, one token at least) until all fit ``budget``."""
    lengths = [len(p) for p in pieces]
    while sum(lengths) > budget:
        longest = int(np.argmax(lengths))
        second = sorted(lengths)[-2] if len(lengths) > 1 else 0
        lengths[longest] -= max(1, min(sum(lengths) - budget, lengths[longest] - second))
    return [p[:n] for p, n in zip(pieces, lengths)]


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))
