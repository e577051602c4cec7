"""The fit's time budget: training stops while the finishing work still fits; the soup stops when time runs out."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import torch

from automm.core.training.budget import BudgetStop, Deadline, save_seconds
from automm.core.training.soup import greedy_soup


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _trainer() -> SimpleNamespace:
    return SimpleNamespace(should_stop=False, sanity_checking=False)


def test_deadline_counts_down_and_no_limit_is_infinite() -> None:
    clock = FakeClock()
    deadline = Deadline(60, clock)
    clock.now += 45
    assert deadline.remaining() == 15 and deadline.limited
    assert Deadline(None, clock).remaining() == math.inf and not Deadline(None, clock).limited


def test_training_stops_while_the_finishing_work_still_fits() -> None:
    clock = FakeClock()
    stop = BudgetStop(Deadline(100, clock), finishing_passes=3, save_seconds=5, val_rows=100, train_batch_size=10)
    trainer = _trainer()
    stop.validation_seconds = 10.0  # as measured by a validation pass: reserve = (1 + 3) * 10 + 5 = 45 s
    clock.now += 50  # 50 s left: more than the reserve and a step
    stop.on_train_batch_start(trainer)
    stop.on_train_batch_end(trainer)
    assert not trainer.should_stop
    clock.now += 5.5  # 44.5 s left: less than the reserve
    stop.on_train_batch_start(trainer)
    stop.on_train_batch_end(trainer)
    assert trainer.should_stop and stop.stopped


def test_a_slow_first_step_stands_for_the_step_time_only_until_a_second_is_timed(monkeypatch) -> None:
    times = iter([0.0, 30.0, 30.0, 31.0, 31.0, 33.0])  # steps of 30 s (the cold first), 1 s, 2 s
    monkeypatch.setattr("automm.core.training.budget.time.monotonic", lambda: next(times))
    stop = BudgetStop(Deadline(None), finishing_passes=0, save_seconds=0, val_rows=10, train_batch_size=10)
    trainer = _trainer()
    seen = []
    for _ in range(3):
        stop.on_train_batch_start(trainer)
        stop.on_train_batch_end(trainer)
        seen.append(stop.step_seconds)
    assert seen[:2] == [30.0, 1.0] and math.isclose(seen[2], 1.1)  # then a moving average


def test_validation_is_estimated_from_the_steps_until_one_is_timed() -> None:
    stop = BudgetStop(Deadline(100), finishing_passes=1, save_seconds=0, val_rows=400, train_batch_size=20)
    assert stop.reserve() == 0
    stop.step_seconds = 0.1  # 400 rows = 20 training batches; a forward pass counted as half a step each
    assert math.isclose(stop.validation_estimate(), 1.0)
    assert math.isclose(stop.reserve(), 2.0)


def test_a_validation_is_timed_up_to_the_next_step_and_can_stop_training(monkeypatch) -> None:
    times = iter([10.0, 13.0, 18.0])  # validation start, end, next training step
    monkeypatch.setattr("automm.core.training.budget.time.monotonic", lambda: next(times))
    clock = FakeClock()
    stop = BudgetStop(Deadline(10, clock), finishing_passes=0, save_seconds=0, val_rows=10, train_batch_size=10)
    trainer = _trainer()
    stop.on_validation_start(trainer, None)
    stop.on_validation_end(trainer, None)
    assert stop.validation_seconds == 3.0 and not trainer.should_stop  # 10 s left, 3 s kept
    stop.on_train_batch_start(trainer)
    assert stop.validation_seconds == 8.0  # the checkpoints written after the pass count too


def test_a_measured_save_is_preferred_to_the_size_estimate() -> None:
    assert save_seconds(400_000_000, measured=2.0) == 4.0
    assert save_seconds(400_000_000) == 5.0


def test_the_soup_stops_adding_checkpoints_when_the_budget_says_so(tmp_path: Path) -> None:
    paths = []
    for i in range(3):
        path = tmp_path / f"top-{i}.ckpt"
        torch.save({"state_dict": {"net.w": torch.full((2,), float(i))}}, path)
        paths.append(path)
    evaluated = []

    def evaluate(weights):
        evaluated.append(weights["w"].clone())
        return 1.0

    weights, used, score = greedy_soup(paths, evaluate, True, can_continue=lambda seconds: len(evaluated) < 2)
    assert used == 2 and len(evaluated) == 2 and score == 1.0
    assert torch.equal(weights["w"], torch.full((2,), 0.5))
