"""Tiny randomly initialised RT-DETR / RT-DETRv2 / D-FINE checkpoints saved like hub folders (tests, no download)."""

from __future__ import annotations

from pathlib import Path

import torch
import transformers

COCO_NAMES = ["person", "bicycle", "car", "motorcycle", "airplane"]  # the first five COCO classes
_SMALL = {  # shared by the three architectures: a 1-layer encoder, a 2-layer decoder (the minimum), 30 queries
    "encoder_hidden_dim": 32,
    "encoder_layers": 1,
    "encoder_ffn_dim": 64,
    "encoder_attention_heads": 2,
    "d_model": 32,
    "num_queries": 30,
    "decoder_in_channels": [32, 32, 32],
    "decoder_ffn_dim": 64,
    "decoder_layers": 2,
    "decoder_attention_heads": 2,
    "num_denoising": 0,
    "id2label": dict(enumerate(COCO_NAMES)),
}


def _resnet_backbone() -> transformers.RTDetrResNetConfig:
    return transformers.RTDetrResNetConfig(
        embeddings_size=8,
        hidden_sizes=[8, 16, 24, 32],
        depths=[1, 1, 1, 1],
        out_features=["stage2", "stage3", "stage4"],
    )


def _tiny_config(model_type: str) -> transformers.PretrainedConfig:
    if model_type == "rt_detr":
        return transformers.RTDetrConfig(backbone_config=_resnet_backbone(), encoder_in_channels=[16, 24, 32], **_SMALL)
    if model_type == "rt_detr_v2":
        return transformers.RTDetrV2Config(
            backbone_config=_resnet_backbone(), encoder_in_channels=[16, 24, 32], **_SMALL
        )
    backbone = transformers.HGNetV2Config(
        stem_channels=[3, 8, 8],
        stage_in_channels=[8, 16, 32, 64],
        stage_mid_channels=[8, 16, 32, 64],
        stage_out_channels=[16, 32, 64, 64],
        stage_num_blocks=[1, 1, 1, 1],
        stage_downsample=[False, True, True, True],
        stage_light_block=[False, False, True, True],
        stage_kernel_size=[3, 3, 5, 5],
        stage_numb_of_layers=[1, 1, 1, 1],
        hidden_sizes=[16, 32, 64, 64],
        depths=[1, 1, 1, 1],
        out_features=["stage2", "stage3", "stage4"],
    )
    return transformers.DFineConfig(
        backbone_config=backbone, encoder_in_channels=[32, 64, 64], decoder_n_points=[3, 6, 3], reg_max=8, **_SMALL
    )


def make_tiny_detr(folder: Path, model_type: str = "rt_detr") -> Path:
    """A tiny ``model_type`` detector of the five ``COCO_NAMES`` classes, saved to ``folder``."""
    torch.manual_seed(0)
    transformers.AutoModelForObjectDetection.from_config(_tiny_config(model_type)).save_pretrained(folder)
    return folder
