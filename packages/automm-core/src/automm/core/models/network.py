"""Build the multimodal network by registered names from a JSON-describable spec."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from torch import nn

from ..registry import Registry
from .encoders import FTTransformerTabularEncoder, ImageEncoder, MLPTabularEncoder, TextEncoder
from .fusion import MLPFusion, MultiModalNet, TransformerFusion

TABULAR_ENCODERS: Registry[type[nn.Module]] = Registry("tabular model")
TABULAR_ENCODERS.register("mlp")(MLPTabularEncoder)
TABULAR_ENCODERS.register("ft_transformer")(FTTransformerTabularEncoder)

FUSIONS: Registry[type[nn.Module]] = Registry("fusion model")
FUSIONS.register("mlp")(MLPFusion)
FUSIONS.register("transformer")(TransformerFusion)


@dataclass(frozen=True)
class NetworkSpec:
    """Everything needed to rebuild the network's architecture, stored as JSON."""

    output_size: int
    text: dict[str, Any] | None = None  # {"pooling": "mean"}; the backbone config lives in text_backbone/
    image: dict[str, Any] | None = None  # {"checkpoint": timm name, "weights_path": ""}
    tabular: dict[str, Any] | None = None  # {"model", "num_numerical", "cardinalities", "hidden_size", ...}
    fusion: dict[str, Any] | None = None  # {"model", "hidden_size", "dropout", "modality_dropout"}

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def build_network(spec: NetworkSpec, text_folder: Path | None, pretrained: bool) -> MultiModalNet:
    """Encoders in a fixed order (text, image, tabular), fusion when there is more than one."""
    encoders: dict[str, nn.Module] = {}
    if spec.text is not None:
        encoders["text"] = TextEncoder(load_text_backbone(text_folder, pretrained), spec.text["pooling"])
    if spec.image is not None:
        from .checkpoints import create_image_backbone

        backbone = create_image_backbone(spec.image["checkpoint"], pretrained=pretrained and spec.image["pretrained"],
                                         weights_path=spec.image.get("weights_path", ""))
        encoders["image"] = ImageEncoder(backbone)
    if spec.tabular is not None:
        options = dict(spec.tabular)
        encoders["tabular"] = TABULAR_ENCODERS.get(options.pop("model"))(**options)
    fusion_options = dict(spec.fusion or {})
    modality_dropout = fusion_options.pop("modality_dropout", 0.0)
    fusion = None
    if len(encoders) > 1:
        fusion = FUSIONS.get(fusion_options.pop("model"))([e.out_features for e in encoders.values()],
                                                         **fusion_options)
    return MultiModalNet(encoders, fusion, spec.output_size, modality_dropout=modality_dropout)


def load_text_backbone(folder: Path | None, pretrained: bool) -> nn.Module:
    """Pretrained weights from ``folder`` at fit time; only the architecture (config.json) at load time."""
    from transformers import AutoConfig, AutoModel

    if folder is None:
        raise ValueError("a text backbone folder is required")
    if pretrained:
        return AutoModel.from_pretrained(str(folder), local_files_only=True)
    return AutoModel.from_config(AutoConfig.from_pretrained(str(folder), local_files_only=True))
