"""``task.frozen_layers`` (AutoGluon-MM's ``model.mmdet_image.frozen_layers``): parts of the detector kept as they
are during fit."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from automm.core.errors import ConfigError


def freeze_layers(net: nn.Module, prefixes: Sequence[str]) -> None:
    """Stop gradients of every parameter whose name (in ``net``, or below its detector) starts with a prefix.

    A prefix may name a module from the top of automm's network (``"model.model.backbone"``) or from any module
    inside it (``"backbone"``, as AutoGluon-MM names mmdet's modules).

    Raises:
        ConfigError: A prefix matches no parameter (naming the top-level modules there are).
    """
    if not prefixes:
        return
    names = dict(net.named_parameters())
    for prefix in prefixes:
        hits = [name for name in names if _matches(name, prefix)]
        if not hits:
            tops = sorted({".".join(name.split(".")[:3]) for name in names})
            raise ConfigError(f"task.frozen_layers entry {prefix!r} names no parameter of this detector. Module "
                              f"prefixes there: {tops[:30]}.")
        for name in hits:
            names[name].requires_grad_(False)


def _matches(name: str, prefix: str) -> bool:
    """``prefix`` at the start of ``name`` or right after one of its dots (a module inside the wrappers)."""
    parts = name.split(".")
    tails = (".".join(parts[i:]) for i in range(len(parts)))
    return any(tail == prefix or tail.startswith(f"{prefix}.") for tail in tails)
