"""A small NER table for tests: sentences of the tiny test model's words, colours and animals as entities."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

GROUPS = {"red": "COLOR", "blue": "COLOR", "green": "COLOR", "cat": "ANIMAL", "dog": "ANIMAL"}
FILLER = ["the", "a", "is", "was", "good", "bad", "very", "big", "small", "and", "this", "that", "food"]


def ner_table(rows: int = 80, seed: int = 0, as_json: bool = False) -> pd.DataFrame:
    """Columns ``text``, ``size`` (numeric) and ``entity_annotations`` (lists of spans, or JSON strings)."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for _ in range(rows):
        words = list(rng.choice(FILLER, size=int(rng.integers(4, 9))))
        for _ in range(int(rng.integers(0, 3))):
            words.insert(int(rng.integers(0, len(words) + 1)), str(rng.choice(list(GROUPS))))
        text, spans, position = "", [], 0
        for word in words:
            if word in GROUPS:
                spans.append({"entity_group": GROUPS[word], "start": position, "end": position + len(word)})
            text += word + " "
            position += len(word) + 1
        texts.append(text.rstrip())
        labels.append(json.dumps(spans) if as_json else spans)
    return pd.DataFrame({"text": texts, "size": rng.normal(size=rows), "entity_annotations": labels})
