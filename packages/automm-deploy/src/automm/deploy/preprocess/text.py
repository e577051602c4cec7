"""Text columns -> token ids with the saved ``tokenizer.json`` (Hugging Face ``tokenizers``, no transformers), then
``automm.core.base.text``'s join, truncation and padding (the predictor's own)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tokenizers import Tokenizer

from automm.core.base.text import CHARS_PER_TOKEN, cell_texts, encode_rows

from ..errors import DeployError
from .rules import require_rules


class TextInputs:
    """Token ids, attention mask and a has-text flag per row, as ``recipe`` (processors.json's "text") says."""

    def __init__(self, recipe: dict[str, Any], tokenizer_file: Path):
        if "start_id" not in recipe:
            raise DeployError("processors.json predates the stored text recipe (automm-core < 0.2.3): load the "
                              "predictor with automm-core >= 0.2.3, save it again, then export.")
        require_rules("text", recipe)
        self.columns: list[str] = list(recipe["columns"])
        self.max_length = int(recipe["max_length"])
        self.char_cap = int(recipe.get("char_cap") or self.max_length * CHARS_PER_TOKEN)
        self.start_id, self.end_id, self.pad_id = recipe["start_id"], recipe["end_id"], int(recipe["pad_id"])
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()

    def __call__(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        per_column = [self._tokenize(frame[c]) for c in self.columns]
        ids, mask, present = encode_rows(per_column, len(frame), self.max_length, self.start_id, self.end_id,
                                         self.pad_id)
        return {"text_ids": ids, "text_mask": mask, "text_present": present}

    def _tokenize(self, cells: pd.Series) -> list[list[int]]:
        texts = cell_texts(cells, self.char_cap)
        return [encoding.ids for encoding in self.tokenizer.encode_batch(texts, add_special_tokens=False)]
