"""Parameter-efficient fine-tuning of the backbones: LoRA and IA3 through ``peft``, BitFit by freezing.

Adapters a task builds into its own network (segmentation's Conv-LoRA for SAM, ``task.conv_lora``) are the
task's setting, not one of these methods.
"""

from __future__ import annotations

from torch import nn

from ..errors import ConfigError

PEFT_METHODS = ("none", "lora", "ia3", "bitfit")


def apply_peft(net: nn.Module, method: str, rank: int, alpha: float = 0.0) -> None:
    """Wrap each encoder's ``backbone`` in place; only adapters (or biases) of backbones stay trainable.

    ``alpha``: LoRA's scaling numerator (the adapters' output scales by ``alpha / rank``); 0 means ``2 * rank``.
    """
    if method not in PEFT_METHODS:
        raise ConfigError(f"optim.peft must be one of {PEFT_METHODS}, got {method!r}.")
    if method == "none":
        return
    for encoder in _encoders_with_backbone(net):
        if method == "bitfit":
            for name, param in encoder.backbone.named_parameters():
                param.requires_grad = name.endswith("bias")
            continue
        encoder.backbone = _wrap(encoder.backbone, method, rank, alpha or 2 * rank)


def merge_peft(net: nn.Module) -> None:
    """Fold adapters into the backbone weights so the saved model needs no ``peft`` to load."""
    from peft import PeftModel

    for encoder in _encoders_with_backbone(net):
        if isinstance(encoder.backbone, PeftModel):
            encoder.backbone = encoder.backbone.merge_and_unload()
        for param in encoder.backbone.parameters():
            param.requires_grad = True


def _encoders_with_backbone(net: nn.Module) -> list[nn.Module]:
    return [m for m in net.modules() if isinstance(getattr(m, "backbone", None), nn.Module)]


def _wrap(backbone: nn.Module, method: str, rank: int, alpha: float) -> nn.Module:
    from peft import IA3Config, LoraConfig, get_peft_model

    linear = sorted({name.rsplit(".", 1)[-1] for name, m in backbone.named_modules() if isinstance(m, nn.Linear)})
    pointwise = sorted({name.rsplit(".", 1)[-1] for name, m in backbone.named_modules()
                        if isinstance(m, nn.Conv2d) and m.kernel_size == (1, 1) and m.groups == 1})
    # A backbone may name its own targets (e.g. SAM's attention ``qkv`` only) in ``peft_target_modules``.
    targets = list(getattr(backbone, "peft_target_modules", ())) or linear or pointwise
    if not targets:
        raise ConfigError(f"optim.peft={method!r}: the backbone has no Linear or 1x1 Conv2d layers to adapt.")
    if method == "lora":
        config = LoraConfig(r=rank, lora_alpha=alpha, target_modules=targets, lora_dropout=0.0)
    else:
        config = IA3Config(target_modules=targets, feedforward_modules=[])
    return get_peft_model(backbone, config)
