"""Segmentation presets: a CPU-trainable smp U-Net on the offline EfficientNet-Lite0 (``medium_quality``), and
Segment Anything fine-tuned with LoRA on its image encoder (``high_quality``: ViT-B, ``best_quality``: ViT-H),
as AutoGluon-MM does.
"""

from __future__ import annotations

from automm.core.plugin import Config, OptimConfig

from .config import SegmentConfig

SAM_VIT_B = "facebook/sam-vit-base"
SAM_VIT_H = "facebook/sam-vit-huge"

CNN_OPTIM = OptimConfig(lr=2e-4, head_lr_multiplier=10.0, layerwise_lr_decay=1.0, weight_decay=1e-4, max_epochs=30,
                        batch_size=8, gradient_clip=1.0, patience=5, top_k=3, warmup_ratio=0.05,
                        max_num_tuning_data=500)
# LoRA on the frozen encoder's attention, the mask decoder trained in full (AutoGluon-MM's SAM recipe).
SAM_OPTIM = OptimConfig(lr=1e-4, head_lr_multiplier=1.0, layerwise_lr_decay=1.0, weight_decay=1e-4, max_epochs=30,
                        batch_size=4, gradient_clip=1.0, patience=5, top_k=3, warmup_ratio=0.05, peft="lora",
                        lora_rank=8, max_num_tuning_data=500)

PRESETS = {
    "medium_quality": Config(optim=CNN_OPTIM, task=SegmentConfig()),
    "high_quality": Config(optim=SAM_OPTIM, task=SegmentConfig(backend="sam", checkpoint=SAM_VIT_B)),
    "best_quality": Config(optim=SAM_OPTIM, task=SegmentConfig(backend="sam", checkpoint=SAM_VIT_H)),
}
