"""BIO tags on sub-word tokens: character spans -> tag ids through the tokenizer's offsets, and back."""

from __future__ import annotations

from typing import Any

import numpy as np

from .spans import Span

IGNORE = -100  # tag id of special and padding tokens: no loss, not scored
OUTSIDE = "O"


class TagScheme:
    """Tag ``0`` is ``O``; entity group ``g`` (index ``k``) has ``B-g`` = ``2k + 1`` and ``I-g`` = ``2k + 2``."""

    def __init__(self, groups: list[str]):
        self.groups = list(groups)
        self.index = {group: k for k, group in enumerate(self.groups)}
        self.tags = [OUTSIDE, *(f"{prefix}-{group}" for group in self.groups for prefix in "BI")]

    def __len__(self) -> int:
        return len(self.tags)

    def align(self, spans: list[Span], offsets: np.ndarray) -> np.ndarray:
        """Tag id per token (``[T]``): a span's first overlapping token is ``B``, the others ``I``; tokens with no
        characters (special tokens, padding) are ``IGNORE``. Spans of an unknown group are left ``O``."""
        tags = np.where(offsets[:, 1] > offsets[:, 0], 0, IGNORE).astype(np.int64)
        for span in spans:
            k = self.index.get(span.group)
            if k is None:
                continue
            inside = np.flatnonzero((tags != IGNORE) & (offsets[:, 0] < span.end) & (offsets[:, 1] > span.start))
            if len(inside):
                tags[inside] = 2 * k + 2
                tags[inside[0]] = 2 * k + 1
        return tags

    def names(self, ids: np.ndarray) -> list[str]:
        return [self.tags[i] for i in ids]

    def decode(self, ids: np.ndarray, offsets: np.ndarray, confidence: np.ndarray) -> list[dict[str, Any]]:
        """Entities of one row's predicted tag ids (strict IOB2, as scored), as character spans with a score:
        the mean probability of their tokens' tags."""
        from seqeval.scheme import IOB2, Entities

        keep = np.flatnonzero(offsets[:, 1] > offsets[:, 0])
        entities = Entities([self.names(ids[keep])], IOB2).entities[0]
        found = []
        for entity in entities:
            tokens = keep[entity.start : entity.end]
            found.append({"entity_group": entity.tag, "start": int(offsets[tokens[0], 0]),
                          "end": int(offsets[tokens[-1], 1]), "score": round(float(confidence[tokens].mean()), 6)})
        return found
