"""EDA-style word augmentation of training text: random deletion and random swaps (Wei & Zou, 2019).

Applied to each cell before tokenising, while training only; words are split on whitespace and re-joined with
single spaces. Randomness comes from torch's global generator, which ``fit(seed=...)`` seeds (and Lightning seeds
per data-loader worker), like the image augmentation's.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class WordAugment:
    """Delete each word with probability ``delete``; swap ``round(swap * words)`` random pairs of words.

    A cell never loses all its words: when every word would be deleted, one random word stays.

    Example:
        >>> WordAugment(delete=0.1, swap=0.1)("the quick brown fox jumps")  # doctest: +SKIP
        'quick the brown fox jumps'
    """

    delete: float = 0.0
    swap: float = 0.0

    @property
    def active(self) -> bool:
        return self.delete > 0 or self.swap > 0

    def __call__(self, text: str) -> str:
        words = text.split()
        if len(words) < 2:
            return text
        if self.delete > 0:
            keep = (torch.rand(len(words)) >= self.delete).tolist()
            kept = [word for word, flag in zip(words, keep) if flag]
            words = kept or [words[int(torch.randint(len(words), ()))]]
        for _ in range(round(self.swap * len(words)) if len(words) > 1 else 0):
            first, second = torch.randint(len(words), (2,)).tolist()
            words[first], words[second] = words[second], words[first]
        return " ".join(words)
