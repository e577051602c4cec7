from __future__ import annotations

from pathlib import Path

import pytest

from automm.core.base.text import truncate_longest_first
from automm.core.data.text import TextProcessor


def test_truncate_longest_first_keeps_short_columns_whole() -> None:
    pieces = truncate_longest_first([[1] * 50, [2] * 3, [3] * 10], budget=20)
    assert [len(p) for p in pieces] == [8, 3, 9]  # the two longest end within one token
    assert truncate_longest_first([[1, 2], [3]], budget=10) == [[1, 2], [3]]


@pytest.fixture(scope="module")
def tokenizer(tiny_text_model: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(tiny_text_model))


def test_several_columns_joined_with_separators(tokenizer) -> None:
    processor = TextProcessor(["a", "b"], max_length=12, tokenizer=tokenizer)
    out = processor.transform({"a": ["good food " * 20, None], "b": ["bad", ""]})
    ids = out["input_ids"]
    assert ids.shape == (2, 12)
    assert ids[0, 0] == tokenizer.cls_token_id and (ids[0] == tokenizer.sep_token_id).sum() == 2
    assert out["present"].tolist() == [True, False]
    assert out["attention_mask"][1].sum() == 3  # [CLS] [SEP] [SEP] only
