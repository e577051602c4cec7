"""Presets per problem type: MiniLM / mpnet for text, timm CNNs for images, CLIP for image-text.

``medium_quality`` uses only backbones that ship inside PyPI packages (all-MiniLM-L6-v2 and
EfficientNet-Lite0), so it works with no model hub; its image-text model is a CLIP-style dual encoder
assembled from those two with projection heads (it needs fine-tuning: the projections start random). Zero-shot
image-text work needs a CLIP model pretrained end to end: ``high_quality`` (CLIP ViT-B/32), and
``zero_shot_image_classification`` at every quality.
"""

from __future__ import annotations

from automm.core.plugin import Config, ImageConfig, ModelConfig, OptimConfig, TextConfig

from .config import MatchConfig

MINILM_L6 = "sentence-transformers/all-MiniLM-L6-v2"
MINILM_L12 = "sentence-transformers/all-MiniLM-L12-v2"
MPNET_BASE = "sentence-transformers/all-mpnet-base-v2"
CLIP_BASE = "openai/clip-vit-base-patch32"
CLIP_LARGE = "openai/clip-vit-large-patch14"

TEXT_OPTIM = OptimConfig(lr=2e-5, max_epochs=5, batch_size=32, warmup_ratio=0.1, layerwise_lr_decay=1.0)
IMAGE_OPTIM = OptimConfig(lr=1e-4, max_epochs=10, batch_size=32)
DUAL_OPTIM = OptimConfig(lr=5e-5, head_lr_multiplier=20.0, max_epochs=10, batch_size=32)


DEFAULT_TASK = MatchConfig()


def _preset(text: str, image: str, optim: OptimConfig, task: MatchConfig = DEFAULT_TASK, **image_options) -> Config:
    # BatchNorm statistics stay pretrained: re-estimating them on small batches of pairs undid what the
    # ImageNet features were worth on Fashion-MNIST pairs (see BENCHMARKS.md).
    image_config = ImageConfig(checkpoint=image, freeze_batchnorm=True, **image_options)
    return Config(model=ModelConfig(text=TextConfig(checkpoint=text, pooling="mean", max_length=128),
                                    image=image_config), optim=optim, task=task)


PRESETS = {
    "medium_quality": {
        "text_similarity": _preset(MINILM_L6, "tf_efficientnet_lite0", TEXT_OPTIM),
        "image_similarity": _preset(MINILM_L6, "tf_efficientnet_lite0", IMAGE_OPTIM),
        "feature_extraction": _preset(MINILM_L6, "tf_efficientnet_lite0", TEXT_OPTIM),
        "image_text_similarity": _preset(MINILM_L6, "tf_efficientnet_lite0", DUAL_OPTIM,
                                         MatchConfig(projection_dim=256, symmetric=True), max_images_per_row=1),
        "zero_shot_image_classification": _preset(CLIP_BASE, "tf_efficientnet_lite0", TEXT_OPTIM,
                                                  MatchConfig(symmetric=True), max_images_per_row=1),
    },
    "high_quality": {
        "text_similarity": _preset(MINILM_L12, "convnext_tiny.fb_in22k_ft_in1k", TEXT_OPTIM),
        "image_similarity": _preset(MINILM_L12, "convnext_tiny.fb_in22k_ft_in1k", IMAGE_OPTIM),
        "feature_extraction": _preset(MINILM_L12, "convnext_tiny.fb_in22k_ft_in1k", TEXT_OPTIM),
        "image_text_similarity": _preset(CLIP_BASE, "convnext_tiny.fb_in22k_ft_in1k", TEXT_OPTIM,
                                         MatchConfig(symmetric=True), max_images_per_row=1),
        "zero_shot_image_classification": _preset(CLIP_BASE, "convnext_tiny.fb_in22k_ft_in1k", TEXT_OPTIM,
                                                  MatchConfig(symmetric=True), max_images_per_row=1),
    },
    "best_quality": {
        "text_similarity": _preset(MPNET_BASE, "convnext_base.fb_in22k_ft_in1k", TEXT_OPTIM),
        "image_similarity": _preset(MPNET_BASE, "convnext_base.fb_in22k_ft_in1k", IMAGE_OPTIM),
        "feature_extraction": _preset(MPNET_BASE, "convnext_base.fb_in22k_ft_in1k", TEXT_OPTIM),
        "image_text_similarity": _preset(CLIP_LARGE, "convnext_base.fb_in22k_ft_in1k", TEXT_OPTIM,
                                         MatchConfig(symmetric=True), max_images_per_row=1),
        "zero_shot_image_classification": _preset(CLIP_LARGE, "convnext_base.fb_in22k_ft_in1k", TEXT_OPTIM,
                                                  MatchConfig(symmetric=True), max_images_per_row=1),
    },
}
