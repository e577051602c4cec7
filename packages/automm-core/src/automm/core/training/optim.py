"""The optimizer (AdamW, Adam or SGD) with layerwise learning-rate decay for the backbones, and the warmup + decay
schedule (cosine, polynomial, linear or constant)."""

from __future__ import annotations

import math
import os
import re

import torch
from torch import nn
from torch.optim.lr_scheduler import LambdaLR

from ..config import OptimConfig
from .budget import Deadline

_LAYER = re.compile(r"\.(?:layer|layers|blocks|stages|h)\.(\d+)\.")
_STEM = re.compile(r"(embeddings|conv_stem|patch_embed|stem|bn1\.|pos_embed|cls_token)")
_NO_DECAY = ("bias", "norm", "LayerNorm", "bn", "missing", "embeddings")


def parameter_groups(net: nn.Module, optim: OptimConfig) -> list[dict]:
    """Backbone layer ``i`` of ``n`` gets ``lr * decay**(n - i)``; new layers get ``lr * head_lr_multiplier``."""
    groups: dict[tuple[float, float], list[nn.Parameter]] = {}
    backbones = {name: _depth(module) for name, module in _backbones(net)}
    for name, param in net.named_parameters():
        if not param.requires_grad:
            continue
        lr = optim.lr * optim.head_lr_multiplier
        for prefix, depth in backbones.items():
            if name.startswith(prefix + "."):
                lr = optim.lr * optim.layerwise_lr_decay ** (depth + 1 - _layer_of(name[len(prefix):], depth))
                break
        decay = 0.0 if param.ndim <= 1 or any(k in name for k in _NO_DECAY) else optim.weight_decay
        groups.setdefault((lr, decay), []).append(param)
    return [{"params": p, "lr": lr, "weight_decay": wd} for (lr, wd), p in groups.items()]


def _backbones(net: nn.Module) -> list[tuple[str, nn.Module]]:
    return [(name, module) for name, module in net.named_modules() if name == "backbone" or name.endswith(".backbone")]


def _depth(backbone: nn.Module) -> int:
    indices = [int(m.group(1)) for name, _ in backbone.named_parameters() if (m := _LAYER.search("." + name))]
    return max(indices, default=0) + 1


def _layer_of(relative_name: str, depth: int) -> int:
    """0 for the stem/embeddings, i+1 for layer i, depth+1 for anything after the last layer."""
    if match := _LAYER.search(relative_name):
        return int(match.group(1)) + 1
    return 0 if _STEM.search(relative_name) else depth + 1


def build_optimizer(net: nn.Module, optim: OptimConfig, total_steps: int, deadline: Deadline | None = None,
                    extra: nn.Module | None = None):
    """``optim.optimizer`` and its warmup + ``optim.lr_schedule`` over whichever budget runs out first: optimizer
    steps or ``deadline``.

    ``extra`` (auxiliary objectives' own layers) trains at the head's learning rate.
    """
    groups = parameter_groups(net, optim)
    extra_params = [p for p in extra.parameters() if p.requires_grad] if extra is not None else []
    if extra_params:
        groups.append({"params": extra_params, "lr": optim.lr * optim.head_lr_multiplier,
                       "weight_decay": optim.weight_decay})
    optimizer = make_optimizer(groups, optim)
    warmup = min(optim.warmup_steps / max(total_steps, 1), 1.0) if optim.warmup_steps else optim.warmup_ratio
    schedule = BudgetSchedule(total_steps, warmup, deadline or Deadline(None), optim.lr_schedule,
                              optim.end_lr / optim.lr)
    return optimizer, LambdaLR(optimizer, schedule)


def make_optimizer(groups: list[dict], optim: OptimConfig) -> torch.optim.Optimizer:
    """The torch optimizer ``optim.optimizer`` names over the parameter ``groups`` (SGD with momentum 0.9)."""
    if optim.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=optim.lr, momentum=0.9)
    if optim.optimizer == "adam":  # Adam adds weight decay to the gradient (L2); AdamW decays the weights
        return torch.optim.Adam(groups, lr=optim.lr)
    return torch.optim.AdamW(groups, lr=optim.lr)


def decay_factor(shape: str, remaining: float, end: float) -> float:
    """The LR factor after warmup, ``remaining`` in [0, 1] the share of the decay done; ``end`` = end_lr / lr.

    The shapes of transformers' ``get_*_schedule_with_warmup``: cosine with a floor (``cosine_with_min_lr``),
    polynomial of power 1 down to ``end`` (as AutoGluon uses it), linear down to 0, constant.
    """
    if shape == "constant":
        return 1.0
    if shape == "linear":
        return max(0.0, 1.0 - remaining)
    if shape == "polynomial":
        return end + (1.0 - end) * (1.0 - remaining)
    return end + (1.0 - end) * 0.5 * (1.0 + math.cos(math.pi * remaining))


class BudgetSchedule:
    """LR factor from training progress = max(step / total_steps, share of the time to ``deadline`` used).

    Without a time limit this is the usual step-based warmup + decay (``shape``, see ``decay_factor``); with one, a
    fit that the deadline will stop early still warms up and anneals within the time it has. The share of time is
    measured on the deadline's own clock, from the first call in this process (a resumed fit, a new process with
    restored state, starts again).
    """

    # LambdaLR saves this object's __dict__ in checkpoints, read back with weights_only=True: the deadline (a
    # clock function) stays in a slot, the dict holds plain numbers. The shape and end, settings of the config
    # that a resumed fit builds again, stay in slots too.
    __slots__ = ("deadline", "shape", "end", "__dict__")

    def __init__(self, total_steps: int, warmup_ratio: float, deadline: Deadline, shape: str = "cosine",
                 end: float = 0.0):
        self.total_steps, self.warmup_ratio, self.deadline = max(total_steps, 1), warmup_ratio, deadline
        self.shape, self.end = shape, end
        self.span: float | None = None  # seconds to the deadline at the first call
        self.process = os.getpid()

    def __call__(self, step: int) -> float:
        progress = step / self.total_steps
        if self.deadline.limited:
            if self.span is None or self.process != os.getpid():
                self.span, self.process = self.deadline.remaining(), os.getpid()
            used = 1.0 - self.deadline.remaining() / self.span if self.span > 0 else 1.0
            progress = max(progress, used)
        progress = min(progress, 1.0)
        if progress < self.warmup_ratio:
            return max(progress / self.warmup_ratio, 1e-3)
        remaining = (progress - self.warmup_ratio) / max(1.0 - self.warmup_ratio, 1e-9)
        return decay_factor(self.shape, remaining, self.end)
