"""``dump_model``: a fitted predictor's backbones as Hugging Face / timm folders, to start another fit from."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ConfigError

if TYPE_CHECKING:
    from torch import nn

    from .state import PredictorState

TEXT_DUMP = "hf_text"  # AutoGluon-MM's folder names, so its recipes find the same paths
IMAGE_DUMP = "timm_image"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "vocab.json",
                   "merges.txt", "spiece.model", "sentencepiece.bpe.model")


def dump_backbones(state: PredictorState, save_path: Path) -> list[Path]:
    """Write each fine-tuned backbone of ``state`` under ``save_path``; the folders written.

    The text backbone goes to ``hf_text/`` (weights, config.json and the tokenizer): start a new predictor from it
    with ``hyperparameters={"model.text.checkpoint": "<save_path>/hf_text"}``. The image backbone goes to
    ``timm_image/`` (``model.safetensors`` and timm's ``config.json``): start from it with
    ``{"model.image.checkpoint": <its architecture>,
    "model.image.weights_path": "<save_path>/timm_image/model.safetensors"}``.
    An ensemble's members are written as ``hf_text``, ``hf_text_2``, ...

    Raises:
        ConfigError: the network has no text or image backbone (a purely tabular predictor, for example).
    """
    from .models.encoders import ImageEncoder, TextEncoder

    written: list[Path] = []
    texts = [m for m in state.net.modules() if isinstance(m, TextEncoder)]
    images = [m for m in state.net.modules() if isinstance(m, ImageEncoder)]
    for number, encoder in enumerate(texts, start=1):
        written.append(_dump_text(encoder.backbone, state.text_folder, save_path / _numbered(TEXT_DUMP, number)))
    for number, encoder in enumerate(images, start=1):
        written.append(_dump_image(encoder.backbone, save_path / _numbered(IMAGE_DUMP, number)))
    if not written:
        raise ConfigError(f"dump_model() found no text or image backbone in this {state.problem_type} predictor's "
                          "network (tabular encoders are not reusable checkpoints); nothing was written.")
    return written


def _numbered(name: str, number: int) -> str:
    return name if number == 1 else f"{name}_{number}"


def _dump_text(backbone: nn.Module, text_folder: Path | None, folder: Path) -> Path:
    """``save_pretrained`` of the transformers backbone, and the tokenizer files of the predictor's text folder."""
    folder.mkdir(parents=True, exist_ok=True)
    backbone.save_pretrained(str(folder), safe_serialization=True)  # type: ignore[operator]
    for name in TOKENIZER_FILES:
        if text_folder is not None and (text_folder / name).is_file():
            shutil.copyfile(text_folder / name, folder / name)
    return folder


def _dump_image(backbone: nn.Module, folder: Path) -> Path:
    """timm's Hugging Face layout: ``model.safetensors`` and ``config.json`` naming the architecture."""
    from timm.models import save_for_hf

    save_for_hf(backbone, str(folder), safe_serialization=True)
    return folder
