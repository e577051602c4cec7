"""Tokenisation of one or more text columns into one sequence with a transformers tokenizer; the join,
truncation and padding are ``automm.core.base.text``'s (the ONNX runtime's too)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..base.rules import check_rule_version, versioned
from ..base.text import CHARS_PER_TOKEN, cell_texts, encode_rows
from .text_augment import WordAugment

__all__ = ["CHARS_PER_TOKEN", "TextProcessor"]


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
        start, end = self._special_ids()
        ids, mask, present = encode_rows(per_column, rows, self.max_length, start, end, self.pad_id)
        return {"input_ids": ids, "attention_mask": mask, "present": present}

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
                "start_id": start, "end_id": end, "pad_id": self.pad_id, **versioned("text")}

    @classmethod
    def from_json(cls, data: dict[str, Any], tokenizer: Any) -> TextProcessor:
        """The processor ``data`` describes, tokenising with ``tokenizer``.

        Raises:
            RuleVersionError: rules of another version (see ``base.rules.check_rule_version``).
        """
        check_rule_version("text", data)
        return cls(list(data["columns"]), int(data["max_length"]), tokenizer, int(data.get("char_cap", 0)))

    def _tokenize(self, values: Sequence[Any], augment: WordAugment | None = None) -> list[list[int]]:
        texts = cell_texts(values, self.cell_chars)
        if augment is not None and augment.active:
            texts = [augment(t) for t in texts]
        return self.tokenizer(texts, add_special_tokens=False, truncation=False, verbose=False)["input_ids"]

    def _special_ids(self) -> tuple[int, int]:
        tok = self.tokenizer
        start = tok.cls_token_id if tok.cls_token_id is not None else tok.bos_token_id
        end = tok.sep_token_id if tok.sep_token_id is not None else tok.eos_token_id
        return start, end
