"""Tiny models built from configs, so tests run in seconds with no download."""

from __future__ import annotations

import string
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

WORDS = [
    "the",
    "a",
    "an",
    "is",
    "was",
    "good",
    "bad",
    "great",
    "terrible",
    "ok",
    "product",
    "food",
    "taste",
    "love",
    "hate",
    "not",
    "very",
    "cat",
    "dog",
    "red",
    "blue",
    "green",
    "big",
    "small",
    "one",
    "two",
    "three",
    "and",
    "or",
    "of",
    "to",
    "in",
    "it",
    "this",
    "that",
]


@contextmanager
def _seeded(seed: int = 0) -> Iterator[None]:
    """Random initialisation from ``seed``, whatever ran before; the caller's random state is restored after."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def make_tiny_text_model(folder: Path) -> Path:
    """A 2-layer, 32-wide BERT with a small WordPiece vocabulary, saved like a hub model folder."""
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    letters = list(string.ascii_lowercase + string.digits + string.punctuation)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS, *letters, *("##" + c for c in letters)]
    (folder / "vocab.txt").write_text("\n".join(dict.fromkeys(vocab)) + "\n", encoding="utf-8")
    # from the folder: transformers 4 names the vocabulary argument vocab_file, 5 names it vocab
    BertTokenizerFast.from_pretrained(str(folder), do_lower_case=True).save_pretrained(str(folder))
    config = BertConfig(
        vocab_size=len(dict.fromkeys(vocab)),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    with _seeded():
        BertModel(config).save_pretrained(str(folder))
    return folder


def make_tiny_clip_model(folder: Path, text_folder: Path) -> Path:
    """A 2-layer CLIP (text + 32-pixel ViT, projection 16) with ``text_folder``'s tokenizer (a tiny BERT's, from
    ``make_tiny_text_model``), saved like a hub CLIP folder."""
    import shutil

    from transformers import CLIPConfig, CLIPModel

    folder.mkdir(parents=True, exist_ok=True)
    vocab_size = len((text_folder / "vocab.txt").read_text().split())
    tower = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2}
    config = CLIPConfig(text_config={**tower, "vocab_size": vocab_size, "max_position_embeddings": 77},
                        vision_config={**tower, "image_size": 32, "patch_size": 8}, projection_dim=16)
    with _seeded():
        CLIPModel(config).save_pretrained(str(folder))
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        if (text_folder / name).exists():
            shutil.copy(text_folder / name, folder / name)
    return folder


def tiny_hyperparameters(text_folder: Path, **extra: Any) -> dict[str, Any]:
    """Overrides that swap in the tiny text model and timm's tiny ``test_efficientnet``."""
    return {
        "model.text.checkpoint": str(text_folder),
        "model.text.max_length": 32,
        "model.image.checkpoint": "test_efficientnet",
        "model.image.pretrained": False,
        "model.image.image_size": 32,
        "model.tabular.hidden_size": 32,
        "model.fusion.hidden_size": 32,
        "optim.max_epochs": 2,
        "optim.batch_size": 16,
        "optim.lr": 1e-3,
        "optim.top_k": 2,
        "env.eval_batch_size": 32,
        **extra,
    }
