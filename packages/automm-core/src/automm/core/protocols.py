"""The written plug-in contract: ``typing.Protocol``s for what a task package gives core.

A task (:class:`automm.core.tasks.Task`) is three small roles plus opt-in capabilities:

- :class:`LabelCodec`: learns the label encoding (``fit``), encodes labels, round-trips through JSON;
- :class:`ModelFactory`: settles the final Config (``configure``) and builds processors and network
  (``build``), returning the task the network was built for rather than changing itself;
- :class:`Outputs`: decodes network outputs (``predict_rows``) and scores them (``metric``).

Capabilities a task declares with a class flag and implements by the matching protocol: :class:`Distillable`
(``distillable``), :class:`Calibrated` (``calibrates``), :class:`DirectFit` (``fits_directly``) and
:class:`ZeroShot` (``predicts_before_fit``).

The data and model pieces a task registers: a :class:`ProcessorKind` (in ``PROCESSOR_KINDS``) turns rows into a
:class:`Batch`; a :class:`NetworkKind` (in ``NETWORK_KINDS``) builds a :class:`Net` from its JSON spec.
Core only ever calls the members listed here. The protocols are for type checkers (pyright runs in CI);
none is ``runtime_checkable``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from .results import Built, FitResult

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import torch

    from .config import Config
    from .data.column_types import ColumnDecision
    from .training.budget import Deadline


# ---------------------------------------------------------------------------------------------- data and model
class Batch(Protocol):
    """One batch of model inputs, as a processor's ``collate`` makes it."""

    target: Any  # training targets (a tensor, or per-row values), None at prediction time

    def to(self, device: Any) -> Batch:
        """The same batch with its tensors on ``device``."""
        ...

    def __len__(self) -> int: ...


class ProcessorKind(Protocol):
    """A registered processor kind: saved as ``{"kind": ..., **to_json()}`` in processors.json."""

    kind: ClassVar[str]

    @property
    def columns(self) -> list[str]:
        """The feature columns this processor reads."""
        ...

    def to_json(self) -> dict[str, Any]: ...

    @classmethod
    def from_json(cls, data: dict[str, Any], text_folder: Path | None) -> Any: ...

    def collate(self, rows: pd.DataFrame, targets: Any = None, train: bool = False) -> Batch:
        """Rows (and training ``targets``) -> one batch."""
        ...


class Net(Protocol):
    """A network as core's training and inference use it (a ``torch.nn.Module``).

    ``output_shape`` is the shape of one row's output, or None when outputs differ in size per row (boxes, masks).
    The embedding members are used only when the task sets ``has_embeddings``; ``forward_parts`` and ``head``
    only by mixup and distillation.
    """

    output_shape: tuple[int, ...] | None

    def __call__(self, batch: Any) -> Any: ...

    def embed(self, batch: Any) -> torch.Tensor: ...

    @property
    def embedding_size(self) -> int: ...

    def forward_parts(self, batch: Any) -> Any: ...

    @property
    def head(self) -> Any: ...


class NetworkKind(Protocol):
    """A registered network spec: everything to rebuild the architecture, saved in network.json."""

    kind: ClassVar[str]

    def to_json(self) -> dict[str, Any]: ...

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Any: ...

    def build(self, text_folder: Path | None, pretrained: bool) -> Any:
        """The network (a :class:`Net`), with pretrained backbone weights when ``pretrained``."""
        ...


# ---------------------------------------------------------------------------------------------- task roles
class LabelCodec(Protocol):
    """Learns the label space from training labels and encodes labels into training targets."""

    problem_type: str

    @classmethod
    def fit(cls, labels: pd.DataFrame, problem_type: str, arguments: Mapping[str, Any] | None = None) -> Any: ...

    def encode(self, labels: pd.DataFrame) -> np.ndarray: ...

    def to_json(self) -> dict[str, Any]: ...

    @classmethod
    def from_json(cls, state: Mapping[str, Any]) -> Any: ...

    @property
    def output_size(self) -> int | None:
        """Width of the network's final layer; None: no head (the network outputs embeddings)."""
        ...


class ModelFactory(Protocol):
    """Settles the Config and builds processors and network for a new predictor."""

    def configure(self, config: Config, overrides: Mapping[str, Any]) -> tuple[Any, Config]:
        """The task (a new one when it settled settings of its own) and the final Config."""
        ...

    def build(self, features: pd.DataFrame, columns: dict[str, ColumnDecision], config: Config) -> Built:
        """Processors, network and the task they were built for (``Built.task``); ``self`` is left unchanged."""
        ...

    def loss(self, optim: Any, task_config: Any) -> Callable[..., Any]: ...


class Outputs(Protocol):
    """Decodes and scores network outputs."""

    def predict_rows(self, outputs: Any, rows: pd.DataFrame) -> Any:
        """What ``predict(rows)`` returns; the task's ``predict_options`` are keyword arguments with defaults."""
        ...

    def metric(self, names: list[str]) -> Any:
        """An accumulating ``torchmetrics.Metric`` (``update(outputs, targets)``, ``compute() -> {name: value}``)."""
        ...

    @property
    def validation_metric(self) -> tuple[str, bool]: ...


# ---------------------------------------------------------------------------------------------- capabilities
class Distillable(Protocol):
    """``distillable = True``: ``fit(teacher_predictor=...)`` works."""

    def teacher_mismatch(self, teacher: Any) -> str | None: ...

    def soft_targets(self, teacher: Any, outputs: np.ndarray) -> np.ndarray: ...

    def soft_label_loss(self, outputs: torch.Tensor, soft_targets: torch.Tensor, temperature: float,
                        ) -> torch.Tensor: ...


class Calibrated(Protocol):
    """``calibrates = True``: decision settings are adjusted on validation outputs after training."""

    def calibrate(self, outputs: np.ndarray, targets: np.ndarray) -> None: ...


class DirectFit(Protocol):
    """``fits_directly = True``: the weights are set without gradient training."""

    def fit_directly(self, net: Any, processors: Any, train_data: tuple[pd.DataFrame, np.ndarray],
                     val_data: tuple[pd.DataFrame, np.ndarray] | None, config: Config, deadline: Deadline,
                     seed: int) -> FitResult: ...


class ZeroShot(Protocol):
    """``predicts_before_fit = True``: ``predict`` works before ``fit`` with the pretrained model."""

    def for_zero_shot(self) -> Any: ...


__all__ = ["Batch", "Built", "Calibrated", "DirectFit", "Distillable", "LabelCodec", "ModelFactory", "Net",
           "NetworkKind", "Outputs", "ProcessorKind", "ZeroShot"]
