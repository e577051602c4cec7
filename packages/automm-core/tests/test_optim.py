from __future__ import annotations

import pytest
import torch
from torch import nn

from automm.core.config import OptimConfig
from automm.core.training.budget import Deadline
from automm.core.training.optim import BudgetSchedule, parameter_groups


def test_schedule_warms_up_then_anneals_by_steps() -> None:
    schedule = BudgetSchedule(total_steps=100, warmup_ratio=0.1, deadline=Deadline(None))
    assert schedule(5) == pytest.approx(0.5)
    assert schedule(10) == pytest.approx(1.0)
    assert schedule(55) == pytest.approx(0.5)
    assert schedule(100) == pytest.approx(0.0, abs=1e-9)


def test_schedule_follows_the_clock_when_time_runs_out_first() -> None:
    clock = [1000.0]
    schedule = BudgetSchedule(total_steps=10_000, warmup_ratio=0.1, deadline=Deadline(60, lambda: clock[0]))
    schedule(0)
    clock[0] += 30  # half the time gone, almost no steps done
    assert schedule(3) == pytest.approx(0.5 * (1 + torch.cos(torch.tensor(torch.pi * 0.4 / 0.9)).item()))


class _Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Module()
        self.encoder.backbone = nn.Module()
        self.encoder.backbone.embeddings = nn.Linear(2, 2)
        self.encoder.backbone.layer = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])
        self.head = nn.Linear(2, 1)


def test_layerwise_decay_and_head_multiplier() -> None:
    optim = OptimConfig(lr=1.0, layerwise_lr_decay=0.5, head_lr_multiplier=10.0, weight_decay=0.1)
    lrs = {}
    net = _Net()
    for group in parameter_groups(net, optim):
        for param in group["params"]:
            name = next(n for n, p in net.named_parameters() if p is param)
            lrs[name] = group["lr"]
    # BEiT-style: embeddings are layer 0, block i is layer i+1, the head side is layer n+1 (decay**0)
    assert lrs["encoder.backbone.layer.1.weight"] == 0.5
    assert lrs["encoder.backbone.layer.0.weight"] == 0.25
    assert lrs["encoder.backbone.embeddings.weight"] == 0.125
    assert lrs["head.weight"] == 10.0


def test_a_top_level_backbone_gets_layerwise_decay_too() -> None:
    net = nn.Module()
    net.backbone = nn.Module()
    net.backbone.layer = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])
    net.projection = nn.Linear(2, 2)
    optim = OptimConfig(lr=1.0, layerwise_lr_decay=0.5, head_lr_multiplier=10.0)
    lrs = {id(p): group["lr"] for group in parameter_groups(net, optim) for p in group["params"]}
    assert lrs[id(net.backbone.layer[1].weight)] == 0.5
    assert lrs[id(net.projection.weight)] == 10.0


def test_schedule_state_holds_plain_numbers_only() -> None:
    """LambdaLR saves the schedule's __dict__ in checkpoints, which are read back with weights_only=True."""
    net = nn.Linear(2, 1)
    optimizer = torch.optim.AdamW(net.parameters())
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, BudgetSchedule(10, 0.1, Deadline(60)))
    saved = scheduler.state_dict()["lr_lambdas"][0]
    assert set(saved) == {"total_steps", "warmup_ratio", "span", "process"}
    assert all(isinstance(value, (int, float)) for value in saved.values())
