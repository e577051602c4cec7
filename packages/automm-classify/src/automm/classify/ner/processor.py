"""Rows -> NER batches: the tagged text column tokenised with character offsets, the other columns by core."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch

from automm.core.plugin import CHARS_PER_TOKEN, PROCESSOR_KINDS, Processors
from automm.core.plugin import MultiModalBatch as Batch

from .tags import IGNORE, TagScheme

# How inputs are tokenised and outputs mapped back, stored in processors.json.
RULES = {
    "tokenizer": "tokenizer.json with special tokens, truncation at max_length, offsets mapping; cells cut to "
                 "max_length * 20 characters first; missing cells are empty strings",
    "tags": "O, then B-group and I-group for each entity group in order; every token overlapping an entity is "
            "tagged, its first token B",
    "entities": "strict IOB2 over tokens with characters; an entity spans its first token's start to its last "
                "token's end",
}


@dataclass(frozen=True)
class TaggedText:
    """The tagged text column and its tokenizer (saved beside the model as files, never pickled)."""

    column: str
    max_length: int
    tokenizer: Any

    def tokenize(self, texts: list[str]) -> dict[str, np.ndarray]:
        encoded = self.tokenizer(texts, truncation=True, max_length=self.max_length, padding=True,
                                 return_offsets_mapping=True, return_tensors="np")
        ends = encoded["offset_mapping"][:, :, 1].max(axis=1, initial=0)
        if any(end < len(text.rstrip()) for end, text in zip(ends, texts)):
            warnings.warn(f"Some texts of column {self.column!r} are longer than model.text.max_length="
                          f"{self.max_length} tokens: entities after that point are neither learned nor predicted. "
                          "Raise model.text.max_length (up to the backbone's limit) or split long texts.",
                          stacklevel=3)
        return encoded


@dataclass
class NERBatch:
    """Token ids ``[B, T]``, offsets ``[B, T, 2]`` (characters; ``0, 0`` for special tokens and padding),
    the other columns' core ``Batch`` (or None), and the target: tag ids ``[B, T]`` when training, each row's
    spans when evaluating, None when predicting."""

    ids: torch.Tensor
    mask: torch.Tensor
    offsets: torch.Tensor
    context: Batch | None = None
    target: Any = None

    def to(self, device: torch.device | str) -> NERBatch:
        target = self.target.to(device) if isinstance(self.target, torch.Tensor) else self.target
        context = None if self.context is None else self.context.to(device)
        return NERBatch(self.ids.to(device), self.mask.to(device), self.offsets.to(device), context, target)

    def __len__(self) -> int:
        return len(self.ids)


@PROCESSOR_KINDS.register("ner")
@dataclass(frozen=True)
class NERProcessor:
    """The tagged text plus core's processors for the other used columns (numeric, categorical, images)."""

    kind: ClassVar[str] = "ner"
    text: TaggedText
    scheme: TagScheme
    context: Processors | None = None

    @property
    def columns(self) -> list[str]:
        return [self.text.column, *(self.context.columns if self.context else [])]

    def collate(self, rows: pd.DataFrame, targets: np.ndarray | None = None, train: bool = False) -> NERBatch:
        cap = self.text.max_length * CHARS_PER_TOKEN
        texts = [v[:cap] if isinstance(v, str) else "" for v in rows[self.text.column].tolist()]
        encoded = self.text.tokenize(texts)
        offsets = encoded["offset_mapping"].astype(np.int64)
        context = self.context.collate(rows, train=train) if self.context is not None else None
        target: Any = None
        if targets is not None and train:
            target = torch.from_numpy(np.stack([self.scheme.align(spans, row) for spans, row in zip(targets, offsets)]))
            target[torch.from_numpy(encoded["attention_mask"] == 0)] = IGNORE
        elif targets is not None:
            target = [list(spans) for spans in targets]
        return NERBatch(torch.from_numpy(encoded["input_ids"].astype(np.int64)),
                        torch.from_numpy(encoded["attention_mask"].astype(np.int64)), torch.from_numpy(offsets),
                        context, target)

    def to_json(self) -> dict[str, Any]:
        from automm.core.plugin import processors_to_json

        return {"column": self.text.column, "max_length": self.text.max_length, "groups": self.scheme.groups,
                "context": processors_to_json(self.context) if self.context is not None else None, "rules": RULES}

    @classmethod
    def from_json(cls, data: dict[str, Any], text_folder: Path | None = None) -> NERProcessor:
        from automm.core.plugin import load_tokenizer, processors_from_json

        if data.get("rules") != RULES:
            raise ValueError("ner.rules are not the rules this version implements")
        groups, column, max_length = data.get("groups"), data.get("column"), data.get("max_length")
        if not (isinstance(column, str) and isinstance(max_length, int) and max_length >= 8
                and isinstance(groups, list) and groups and all(isinstance(g, str) for g in groups)):
            raise ValueError("ner processors need a column name, an integer max_length >= 8 and entity groups")
        context = data.get("context")
        return cls(TaggedText(column, max_length, load_tokenizer(text_folder)), TagScheme(groups),
                   processors_from_json(context, None) if context else None)

