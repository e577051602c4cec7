"""The time budget of one ``fit`` call: training stops early enough for the finishing work (the last validation,
the greedy soup's validation passes, calibration and the save) to end by the deadline."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from numbers import Real
from typing import Any

import lightning.pytorch as pl
from torch import nn

from ..errors import ConfigError

# Until a validation pass has been timed, one is estimated from the training steps: a forward pass over a row costs
# about a third of a training step's forward + backward; the estimate assumes half, to err on the early side.
FORWARD_SHARE_OF_STEP = 0.5
SAVE_BYTES_PER_SECOND = 100e6  # a conservative disk write speed for the final save when none was measured
SAVE_OVERHEAD_SECONDS = 1.0


class Deadline:
    """A point on a clock by which ``fit`` must return; ``time_limit`` None means no limit.

    The one representation of a fit's time budget: the training callbacks, the LR schedule, the ensemble's members
    and hyperparameter-search trials all read the same object. ``time_limit`` is checked here, once.
    ``clock`` is ``time.monotonic`` within a process; a deadline sent to other processes (search trials) uses
    ``time.time`` (see ``on_wall_clock``).
    """

    def __init__(self, time_limit: float | None, clock: Callable[[], float] = time.monotonic):
        check_time_limit(time_limit)
        self.clock = clock
        self.seconds = time_limit  # the limit as given, for shares of it (a search keeps a fraction for the copy)
        self.at = clock() + time_limit if time_limit else None

    def remaining(self) -> float:
        """Seconds left (infinite without a limit)."""
        return math.inf if self.at is None else self.at - self.clock()

    @property
    def limited(self) -> bool:
        return self.at is not None

    def within(self, seconds: float) -> Deadline:
        """A deadline ``seconds`` from now (at least a millisecond), or no limit when this one has none."""
        return Deadline(max(seconds, 1e-3), self.clock) if self.limited else Deadline(None, self.clock)

    def on_wall_clock(self, less: float = 0.0) -> Deadline:
        """The same end, ``less`` seconds earlier, on ``time.time``: a deadline that other processes can read."""
        moved = Deadline(None, time.time)
        moved.seconds = self.seconds
        moved.at = None if self.at is None else time.time() + self.remaining() - less
        return moved


def check_time_limit(time_limit: Any) -> None:
    """Refuse anything but a positive, finite number of seconds (or None for no limit)."""
    if time_limit is not None and not (isinstance(time_limit, Real) and not isinstance(time_limit, bool)
                                       and math.isfinite(time_limit) and time_limit > 0):
        raise ConfigError(f"time_limit must be a positive number of seconds (or None for no limit), "
                          f"got {time_limit!r}.")


def parameter_bytes(net: nn.Module) -> int:
    """Bytes of ``net``'s saved tensors (parameters and buffers)."""
    return sum(t.numel() * t.element_size() for t in net.state_dict().values())


def save_seconds(parameter_bytes: int, measured: float | None = None) -> float:
    """What the final save is expected to take: 1.5x a measured save of the same weights, else from the size."""
    if measured is not None:
        return 1.5 * measured + SAVE_OVERHEAD_SECONDS
    return parameter_bytes / SAVE_BYTES_PER_SECOND + SAVE_OVERHEAD_SECONDS


class BudgetStop(pl.Callback):
    """Stops training once the time left is only what the finishing work needs.

    The finishing work is ``finishing_passes`` validation passes (the last validation Lightning runs after a stop
    request is counted on top) plus ``save_seconds``. A validation pass is timed as it runs; before the first one it
    is estimated from the training steps and the number of validation rows. The first step (lazy initialisation,
    cold caches: often several times slower than the rest) only stands for the step time until a second one is timed.
    """

    def __init__(self, deadline: Deadline, finishing_passes: int, save_seconds: float, val_rows: int,
                 train_batch_size: int):
        self.deadline, self.finishing_passes, self.save_seconds = deadline, finishing_passes, save_seconds
        self.val_rows, self.train_batch_size = val_rows, train_batch_size
        self.step_seconds: float | None = None
        self.steps_timed = 0
        self.validation_seconds: float | None = None
        self.stopped = False
        self._step_started = 0.0
        self._validation_started: float | None = None

    def reserve(self) -> float:
        """Seconds to keep for the last validation, the finishing passes and the save."""
        return (1 + self.finishing_passes) * self.validation_estimate() + self.save_seconds

    def validation_estimate(self) -> float:
        if self.validation_seconds is not None:
            return self.validation_seconds
        if self.step_seconds is None:
            return 0.0
        return self.step_seconds * FORWARD_SHARE_OF_STEP * self.val_rows / self.train_batch_size

    def on_train_batch_start(self, trainer: pl.Trainer, *args: Any) -> None:
        now = time.monotonic()
        if self._validation_started is not None:  # a validation ran since the last step: checkpoint writes included
            self._record_validation(now - self._validation_started)
            self._validation_started = None
        self._step_started = now

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        step = time.monotonic() - self._step_started
        self.steps_timed += 1
        self.step_seconds = step if self.steps_timed <= 2 else 0.9 * self.step_seconds + 0.1 * step
        if self.deadline.remaining() <= self.reserve() + self.step_seconds:
            self.stopped = trainer.should_stop = True

    def on_validation_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.sanity_checking:
            self._validation_started = time.monotonic()

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._validation_started is None:
            return
        self._record_validation(time.monotonic() - self._validation_started)
        if self.deadline.remaining() <= self.reserve():
            self.stopped = trainer.should_stop = True

    def _record_validation(self, seconds: float) -> None:
        self.validation_seconds = max(seconds, self.validation_seconds or 0.0)
