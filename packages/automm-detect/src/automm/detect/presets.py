"""Detection presets: a CPU-trainable torchvision Faster R-CNN on the offline EfficientNet-Lite0 (``medium_quality``),
COCO-pretrained transformers detectors that also work zero-shot (``high_quality``: RT-DETR R50,
``best_quality``: D-FINE X), and the anchor's mmdet models (``*_mmdet``, needs ``automm-detect[mmdet]``).
"""

from __future__ import annotations

from automm.core.plugin import Config, OptimConfig

from .config import DetectConfig

# As AutoGluon-MM's detection presets: head LR multiplier, gradient clip 0.1, cosine decay after warmup,
# validation mAP for early stopping and the top-k checkpoints of the greedy soup.
CNN_OPTIM = OptimConfig(lr=1e-4, head_lr_multiplier=10.0, layerwise_lr_decay=1.0, weight_decay=1e-4, max_epochs=30,
                        batch_size=8, gradient_clip=0.1, patience=5, top_k=3, warmup_ratio=0.05,
                        max_num_tuning_data=500)
DETR_OPTIM = OptimConfig(lr=1e-5, head_lr_multiplier=10.0, layerwise_lr_decay=1.0, weight_decay=1e-4, max_epochs=30,
                         batch_size=8, gradient_clip=0.1, patience=5, top_k=3, warmup_ratio=0.05,
                         val_every_n_epochs=2, max_num_tuning_data=500)

RT_DETR_R50 = "PekingU/rtdetr_r50vd"
D_FINE_X = "ustc-community/dfine-xlarge-coco"
YOLOX_L = "yolox_l_8xb8-300e_coco"
DINO_R50 = "dino-4scale_r50_8xb2-12e_coco"

PRESETS = {
    "medium_quality": Config(optim=CNN_OPTIM, task=DetectConfig()),
    "high_quality": Config(optim=DETR_OPTIM, task=DetectConfig(backend="transformers", architecture=RT_DETR_R50,
                                                               image_size=640)),
    "best_quality": Config(optim=DETR_OPTIM, task=DetectConfig(backend="transformers", architecture=D_FINE_X,
                                                               image_size=640)),
    "medium_quality_mmdet": Config(optim=CNN_OPTIM, task=DetectConfig(backend="mmdet", architecture=YOLOX_L,
                                                                      image_size=640)),
    "high_quality_mmdet": Config(optim=DETR_OPTIM, task=DetectConfig(backend="mmdet", architecture=DINO_R50,
                                                                     image_size=640)),
}
