"""CLIP-family dual encoders from transformers (``openai/clip-vit-base-patch32`` and friends)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn

from automm.core.plugin import NETWORK_KINDS, SidedProcessors
from automm.core.plugin import MultiModalBatch as Batch

from .network import PairEncoder

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def is_clip_folder(folder: Path | None) -> bool:
    """True when the text checkpoint folder holds a CLIP model (text and vision towers in one)."""
    if folder is None or not (folder / "config.json").exists():
        return False
    return json.loads((folder / "config.json").read_text(encoding="utf-8")).get("model_type") == "clip"


def clip_image_normalization(folder: Path) -> tuple[tuple[float, ...], tuple[float, ...], int]:
    """Mean, std and image size from the folder's preprocessor_config.json (CLIP's defaults otherwise)."""
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    size = int(config.get("vision_config", {}).get("image_size", 224))
    preprocessor = folder / "preprocessor_config.json"
    if preprocessor.exists():
        data = json.loads(preprocessor.read_text(encoding="utf-8"))
        return tuple(data.get("image_mean", CLIP_MEAN)), tuple(data.get("image_std", CLIP_STD)), size
    return CLIP_MEAN, CLIP_STD, size


class ClipDualEncoder(PairEncoder):
    """One CLIPModel; text sides use its text tower, image sides its vision tower (first image of a row)."""

    def __init__(self, backbone: nn.Module, side_modalities: dict[str, str]):
        super().__init__()
        self.backbone = backbone  # named "backbone" so layerwise LR decay and PEFT treat it as one
        self.side_modalities = self.sides = dict(side_modalities)
        self.embedding_size = int(backbone.config.projection_dim)
        self.output_shape = (len(side_modalities), self.embedding_size)

    def encode(self, side: str, batch: Batch) -> torch.Tensor:
        if self.side_modalities[side] == "text":
            out = self.backbone.get_text_features(input_ids=batch.text_ids, attention_mask=batch.text_mask)
        else:
            out = self.backbone.get_image_features(pixel_values=batch.image_pixels[:, 0])
        features = out.pooler_output if hasattr(out, "pooler_output") else out
        return nn.functional.normalize(features, dim=-1)


@NETWORK_KINDS.register("clip")
@dataclass(frozen=True)
class ClipSpec:
    """network.json of a CLIP dual encoder; the CLIP config itself is saved in text_backbone/."""

    kind: ClassVar[str] = "clip"
    side_modalities: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {"side_modalities": dict(self.side_modalities)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClipSpec:
        modalities = data["side_modalities"]
        if not isinstance(modalities, dict) or not set(modalities.values()) <= {"text", "image"}:
            raise ValueError("side_modalities must map each side to 'text' or 'image'")
        return cls(dict(modalities))

    def build(self, text_folder: Path | None, pretrained: bool) -> ClipDualEncoder:
        from transformers import CLIPConfig, CLIPModel

        if text_folder is None:
            raise ValueError("a CLIP model needs its text_backbone folder")
        if pretrained:
            model = CLIPModel.from_pretrained(str(text_folder), local_files_only=True)
        else:
            model = CLIPModel(CLIPConfig.from_pretrained(str(text_folder), local_files_only=True))
        return ClipDualEncoder(model, self.side_modalities)

    def check_inputs(self, processors: SidedProcessors) -> None:
        if not isinstance(processors, SidedProcessors) or set(processors.sides) != set(self.side_modalities):
            raise ValueError("processors.json does not describe the sides of network.json")
        for side, modality in self.side_modalities.items():
            side_processors = processors.sides[side]
            present = side_processors.text if modality == "text" else side_processors.image
            if present is None:
                raise ValueError(f"side {side!r} of the CLIP model needs {modality} processors")
