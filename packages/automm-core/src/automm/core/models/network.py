"""Build the multimodal network by registered names from a JSON-describable spec."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

from torch import nn

from ..base.registry import Registry
from ..data.batch import Processors
from ..errors import ConfigError
from .encoders import FTTransformerTabularEncoder, ImageEncoder, MLPTabularEncoder, TextEncoder
from .fusion import L2ConcatFusion, MLPFusion, MultiModalNet, TransformerFusion

TABULAR_ENCODERS: Registry[type[nn.Module]] = Registry("tabular model")
TABULAR_ENCODERS.register("mlp")(MLPTabularEncoder)
TABULAR_ENCODERS.register("ft_transformer")(FTTransformerTabularEncoder)

FUSIONS: Registry[type[nn.Module]] = Registry("fusion model")
FUSIONS.register("mlp")(MLPFusion)
FUSIONS.register("transformer")(TransformerFusion)
FUSIONS.register("l2_concat")(L2ConcatFusion)


@dataclass(frozen=True)
class NetworkSpec:
    """Everything needed to rebuild the network's architecture, stored as JSON."""

    kind: ClassVar[str] = "multimodal"
    output_size: int | None  # None: no head, the network outputs its embedding
    # {"pooling": "mean", "num_layers": 0}; the backbone's config (its layer count too) lives in text_backbone/
    text: dict[str, Any] | None = None
    image: dict[str, Any] | None = None  # {"checkpoint": timm name, "weights_path": ""}
    tabular: dict[str, Any] | None = None  # {"model", "num_numerical", "cardinalities", "hidden_size", ...}
    fusion: dict[str, Any] | None = None  # {"model", "hidden_size", "dropout", "modality_dropout", "missing_modality"}

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NetworkSpec:
        return cls(**data)

    def build(self, text_folder: Path | None, pretrained: bool) -> MultiModalNet:
        return build_network(self, text_folder, pretrained)

    def check_inputs(self, processors: Processors) -> None:
        """Raise ValueError unless ``processors`` feed exactly the inputs this network expects."""
        numerical = processors.numerical.columns if processors.numerical else []
        cardinalities = processors.categorical.cardinalities if processors.categorical else []
        tabular = self.tabular if isinstance(self.tabular, dict) else {}
        if not ((self.text is not None) == (processors.text is not None)
                and (self.image is not None) == (processors.image is not None)
                and tabular.get("num_numerical", 0) == len(numerical)
                and tabular.get("cardinalities", []) == cardinalities):
            raise ValueError("processors.json does not describe the inputs of network.json")


# Network kinds by the "kind" stored in network.json; task packages register theirs (e.g. "bi_encoder").
NETWORK_KINDS: Registry[Any] = Registry("network kind")
NETWORK_KINDS.register(NetworkSpec.kind)(NetworkSpec)


def spec_to_json(spec: Any) -> dict[str, Any]:
    return {"kind": spec.kind, **spec.to_json()}


def spec_from_json(data: dict[str, Any]) -> Any:
    """The registered spec class named by ``data["kind"]`` (files from before kinds: "multimodal")."""
    data = dict(data)
    return NETWORK_KINDS.get(str(data.pop("kind", NetworkSpec.kind))).from_json(data)


def build_network(spec: NetworkSpec, text_folder: Path | None, pretrained: bool) -> MultiModalNet:
    """Encoders in a fixed order (text, image, tabular), fusion when there is more than one."""
    encoders: dict[str, nn.Module] = {}
    if spec.text is not None:
        backbone = load_text_backbone(text_folder, pretrained and spec.text.get("pretrained", True),
                                      spec.text.get("num_layers", 0))
        encoders["text"] = TextEncoder(backbone, spec.text["pooling"])
    if spec.image is not None:
        from .checkpoints import create_image_backbone

        backbone = create_image_backbone(spec.image["checkpoint"], pretrained=pretrained and spec.image["pretrained"],
                                         weights_path=spec.image.get("weights_path", ""))
        encoders["image"] = ImageEncoder(backbone, freeze_batchnorm=bool(spec.image.get("freeze_batchnorm", False)))
    if spec.tabular is not None:
        options = dict(spec.tabular)
        encoders["tabular"] = TABULAR_ENCODERS.get(options.pop("model"))(**options)
    fusion_options = dict(spec.fusion or {})
    modality_dropout = fusion_options.pop("modality_dropout", 0.0)
    missing_modality = fusion_options.pop("missing_modality", "learnable")  # absent from specs before 0.4
    fusion = None
    fusion_type = FUSIONS.get(fusion_options.pop("model")) if fusion_options else None
    if fusion_type is not None and (len(encoders) > 1 or getattr(fusion_type, "fuses_one_modality", False)):
        fusion = fusion_type([e.out_features for e in encoders.values()], **fusion_options)
    return MultiModalNet(encoders, fusion, spec.output_size, modality_dropout=modality_dropout,
                         missing_modality=missing_modality)


def load_text_backbone(folder: Path | None, pretrained: bool, num_layers: int = 0) -> nn.Module:
    """Pretrained weights from ``folder`` at fit time; only the architecture (config.json) at load time.

    ``num_layers`` > 0 keeps the first that many transformer layers of the pretrained backbone (fit time only: the
    saved config.json then records the smaller count).
    """
    from transformers import AutoConfig, AutoModel

    if folder is None:
        raise ValueError("a text backbone folder is required")
    config = AutoConfig.from_pretrained(str(folder), local_files_only=True)
    if not pretrained:
        return AutoModel.from_config(config)
    if num_layers:
        available = getattr(config, "num_hidden_layers", None)
        if not isinstance(available, int):
            raise ConfigError(f"model.text.num_layers={num_layers}, but the text backbone in {str(folder)!r} "
                              f"({config.model_type}) has no num_hidden_layers setting to shorten; use 0 (all).")
        if num_layers > available:
            raise ConfigError(f"model.text.num_layers={num_layers}, but the text backbone in {str(folder)!r} has "
                              f"{available} layers; use at most {available} (0 keeps all).")
        config.num_hidden_layers = num_layers  # transformers loads the first layers' weights, skips the others
    return AutoModel.from_pretrained(str(folder), config=config, local_files_only=True)
