"""The task plug-in contract: a ``Task`` per problem type, registered by a task package as a ``TaskPlugin`` under the
``automm.tasks`` entry points (found by :mod:`automm.core.discovery`)."""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from .config import CORE_SECTIONS, Config
from .data.column_types import ColumnDecision

if TYPE_CHECKING:
    import torch
    from torch.utils.data import Sampler

    from .results import Built, FitResult, MetricChoice
    from .training.budget import Deadline

# The version of the contract task packages build on: this module, automm.core.plugin (what it exports) and
# automm.core.protocols, automm.core.base (the prediction-time rules), and the saved formats core reads and writes.
# Minor: additions an older task package does not need; major: a change that breaks a task package built on the
# previous one. Policy (README "Versions and releases"): automm-core 0.x provides plug-in API 1.x.
PLUGIN_API = "1.0"


class Task(abc.ABC):
    """One fitted problem type: a label codec, a model factory and its outputs (see :mod:`automm.core.protocols`).

    A task is fitted on the label columns of the training data and must be describable in JSON
    (``to_json`` / ``from_json``) so a saved predictor can rebuild it without pickle. Required: ``fit``,
    ``encode``, ``to_json``/``from_json``, ``output_size``, ``loss``, ``validation_metric``, and one of ``metric``
    or ``score``. Capabilities are declared by the class flags below and implemented by the matching hooks.
    """

    problem_type: str
    # Keyword arguments of MultiModalPredictor(...) this task reads, e.g. ("query", "response", "match_label").
    arguments: ClassVar[tuple[str, ...]] = ()
    labels_optional: ClassVar[bool] = False  # True: fit() also works on rows without a label column
    signatures: ClassVar[tuple[str, ...]] = ()  # named sides that extract_embedding(signature=...) encodes
    config_type: ClassVar[type | None] = None  # the dataclass of Config.task for this task
    # The settings of core's Config this task reads, as dotted prefixes: whole sections ("model.text") or single
    # keys ("model.image.pretrained"); a hyperparameter outside them (and outside "task.") is refused.
    config_sections: ClassVar[tuple[str, ...]] = CORE_SECTIONS
    # Core keys this task does not read -> the task key to use instead, named when such a key is refused.
    config_hints: ClassVar[Mapping[str, str]] = {}
    default_label: ClassVar[str | None] = None  # label column used when MultiModalPredictor(label=None)
    has_proba: ClassVar[bool] = True  # predict_proba() gives class probabilities (implement ``predict_proba``)
    has_embeddings: ClassVar[bool] = True  # extract_embedding() gives one vector per row
    predict_options: ClassVar[tuple[str, ...]] = ()  # extra keyword arguments predict() accepts
    # What predict() also passes to predict_rows from the predictor: "predictor_path" (its folder, for saved results).
    predict_context: ClassVar[tuple[str, ...]] = ()
    # ---- opt-in capabilities (protocols Distillable, Calibrated, DirectFit, ZeroShot)
    # True: predict() works before fit() with the pretrained model (``for_zero_shot`` gives the task to use).
    predicts_before_fit: ClassVar[bool] = False
    calibrates: ClassVar[bool] = False  # True: ``calibrate`` adjusts decision settings after training
    # True: fit() calls ``fit_directly`` on every labelled row (no holdout split) instead of training with Lightning.
    fits_directly: ClassVar[bool] = False
    distillable: ClassVar[bool] = False  # fit(teacher_predictor=...) works: see the distillation hooks below
    # How an ensemble merges member outputs: a combiner in automm.core.models.ensemble.COMBINERS ("mean",
    # "softmax", "sigmoid"); None: this problem type cannot be ensembled (use_ensemble is refused).
    ensemble_combine: ClassVar[str | None] = None
    # Decided by ``build`` for the network it built: its pretrained weights are a usable model, so fit keeps them
    # when training scores worse on validation.
    keep_pretrained_if_better: bool = False
    # The user's eval_metric / validation_metric (set by core after build; see automm.core.metric_choice).
    chosen_metrics: MetricChoice | None = None
    # Problem type -> the metric names the task computes, default first (automm.core.metric_names resolves
    # AutoGluon's aliases onto them); ``ranked_metrics``: it also takes "<ndcg|recall|mrr|map|precision>@k".
    metric_names: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    ranked_metrics: ClassVar[bool] = False
    modalities: ClassVar[Mapping[str, frozenset[str]]] = {}  # problem type -> input modalities it reads

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.score is Task.score and cls.metric is Task.metric:
            raise TypeError(f"{cls.__name__} must define metric() (or score()): the task's validation metric.")

    @classmethod
    def read_data(cls, data: Any, role: str) -> pd.DataFrame:
        """The user's data as a table; a task may accept its own formats (e.g. a COCO JSON file)."""
        from .data.ingest import read_table

        return read_table(data, role)

    @classmethod
    @abc.abstractmethod
    def fit(cls, labels: pd.DataFrame, problem_type: str,
            arguments: Mapping[str, Any] | None = None) -> Task:
        """Learn the label encoding from the training labels (one column per label).

        ``arguments`` are the task's keyword arguments given to MultiModalPredictor (see ``arguments``).
        """

    @classmethod
    @abc.abstractmethod
    def from_json(cls, state: Mapping[str, Any]) -> Task: ...

    @abc.abstractmethod
    def to_json(self) -> dict[str, Any]: ...

    @property
    @abc.abstractmethod
    def output_size(self) -> int | None:
        """Width of the network's final layer; None: no head (the network outputs its embedding)."""

    @abc.abstractmethod
    def encode(self, labels: pd.DataFrame) -> np.ndarray:
        """Labels -> training targets (float32 or int64 array, one row per row)."""

    @abc.abstractmethod
    def loss(self, optim: Any, task_config: Any) -> Callable[..., Any]:
        """The loss module ``loss(logits, targets)``; ``optim`` is the OptimConfig, ``task_config`` Config.task."""

    def predict(self, logits: Any, index: pd.Index) -> pd.Series | pd.DataFrame:
        """Decoded predictions in the user's label space, for the default ``predict_rows``."""
        raise NotImplementedError(f"{type(self).__name__} must define predict_rows() or predict()")

    def predict_proba(self, logits: Any, index: pd.Index) -> pd.DataFrame:
        """Class probabilities; only called when ``has_proba`` is True."""
        raise NotImplementedError(f"{type(self).__name__} sets has_proba but does not define predict_proba()")

    def decoder_spec(self) -> dict[str, Any] | None:
        """The JSON spec ``{"decoder": name, ...}`` of the torch-free decoder (``automm.core.base.registry``) that
        ``predict`` / ``predict_proba`` use, which an export carries to the runtime; None: the task has none."""
        return None

    def score(self, logits: Any, targets: np.ndarray, metrics: list[str] | None = None) -> dict[str, float]:
        """Metrics of encoded ``targets``; the first key is the validation metric unless ``metrics`` is given.

        ``logits`` is what ``run_network`` returns: an array, or a list with one entry per row for networks
        whose outputs differ in size from row to row (boxes, masks). Default: the task's ``metric`` over all rows.
        """
        metric = self.metric(list(metrics or []))
        metric.update(logits, targets)
        return dict(metric.compute())

    def metric(self, names: list[str]) -> Any:
        """An accumulating ``torchmetrics.Metric``: ``update(outputs, targets)`` per batch, ``compute()`` once
        (after gathering from every process) -> ``{name: value}``. Default: concatenate, then ``score``."""
        from .metric import TaskMetric

        return TaskMetric(lambda outputs, targets: self.score(outputs, targets, names))

    def predict_rows(self, outputs: Any, rows: pd.DataFrame) -> Any:
        """What ``predict(rows)`` returns; a task may use the input rows, and take its ``predict_options`` as
        keyword arguments with defaults."""
        return self.predict(outputs, rows.index)

    @property
    @abc.abstractmethod
    def validation_metric(self) -> tuple[str, bool]:
        """(metric name, greater is better): the task's default for early stopping and checkpoint selection."""

    def default_metric_names(self) -> list[str] | None:
        """The metrics ``evaluate()`` reports by default, in order (None: unknown, only ``eval_metric``)."""
        return None

    def extra_metric_names(self) -> tuple[str, ...]:
        """Metric names this fitted task accepts besides its problem type's (NER entity groups, say)."""
        return ()

    def validation_fallback(self, name: str, targets: np.ndarray) -> tuple[str, str] | None:
        """(metric to track instead, why) when ``name`` cannot be computed on these validation ``targets``."""
        return None

    def stratify_key(self, labels: pd.DataFrame) -> np.ndarray | None:
        """Group per row for a stratified holdout split, or None."""
        return None

    @property
    def target_columns(self) -> list[str] | None:
        """Columns ``encode`` reads, or None for the label columns only."""
        return None

    @property
    def input_columns(self) -> list[str] | None:
        """The feature columns this task reads, or None for every column besides the labels."""
        return None

    def build(self, features: pd.DataFrame, columns: dict[str, ColumnDecision], config: Config) -> Built:
        """Processors and network for this task; the default is one multimodal network with a linear head.

        A task that settles settings of its own here (classes, a threshold) returns them in a new task as
        ``Built.task`` and leaves ``self`` unchanged.
        """
        from .building import build_multimodal  # torch: imported when a network is built, not with the predictor

        return build_multimodal(features, columns, config, self.output_size)

    def configure(self, config: Config, overrides: Mapping[str, Any]) -> tuple[Task, Config]:
        """The task and the final Config after presets and the user's ``overrides`` (default: both unchanged).

        A task may fill in defaults that depend on other settings, e.g. LoRA for a SAM checkpoint chosen by a
        hyperparameter, but must keep whatever ``overrides`` set explicitly. A task that reads settings of its own
        here (input columns, say) returns them in a new task and leaves ``self`` unchanged.
        """
        return self, config

    def for_zero_shot(self) -> Task:
        """The task to use before any fit, with the pretrained model (default: this one, unchanged).

        A task whose pretrained model brings its own label space (a COCO detector, say) drops what ``fit``
        learned from the data's labels here.
        """
        return self

    def check_inputs(self, features: pd.DataFrame, role: str) -> None:  # noqa: B027 (optional hook)
        """Refuse feature rows this task cannot use, naming the column and row (default: accept all)."""

    def check_targets(self, rows: pd.DataFrame, targets: np.ndarray, role: str) -> None:  # noqa: B027 (optional hook)
        """Refuse labelled ``rows`` whose ``targets`` (``encode``'s) do not fit their inputs, naming the row and file
        (e.g. a mask of another size than its image); called on every labelled table of a fit (training,
        validation and tuning rows) before training starts, and on ``evaluate``'s rows (default: accept all)."""

    def training_data(self, net: Any, processors: Any, features: pd.DataFrame, targets: np.ndarray, config: Config,
                      ) -> tuple[Any, pd.DataFrame, np.ndarray]:
        """(processors, features, targets) to train on; a task may add inputs, e.g. mined hard negatives."""
        return processors, features, targets

    def train_batch_sampler(self, sampler: Sampler[int], targets: np.ndarray, batch_size: int, config: Config,
                            ) -> Sampler[list[int]] | None:
        """The rows of each training batch, drawn in ``sampler``'s order; None: plain shuffled batches (default).

        For losses with in-batch negatives, which must not meet rows that also match. Return a ``BatchSampler``
        subclass that takes ``sampler`` by that name: under several processes Lightning rebuilds it with this
        process's shard in place of ``sampler``, and each process must then yield the same number of batches.
        """
        return None

    def calibrate(self, outputs: np.ndarray, targets: np.ndarray) -> None:  # noqa: B027 (optional hook)
        """Adjust decision settings on validation outputs after training; called only when ``calibrates``."""

    def fit_directly(self, net: Any, processors: Any, train_data: tuple[pd.DataFrame, np.ndarray],
                     val_data: tuple[pd.DataFrame, np.ndarray] | None, config: Config, deadline: Deadline,
                     seed: int) -> FitResult:
        """Set ``net``'s weights without gradient training, e.g. a classifier fitted on frozen embeddings.

        Called instead of Lightning training when ``fits_directly`` is True, with every labelled training row
        (the task validates itself, by cross-validation say) and ``val_data`` only when the user gave tuning data.
        """
        raise NotImplementedError(f"{type(self).__name__} sets fits_directly but does not implement fit_directly")

    # ---- knowledge distillation (used only when ``distillable``)
    def teacher_mismatch(self, teacher: Task) -> str | None:
        """Why ``teacher`` (same problem type and label columns) cannot teach this task, or None if it can.

        Default: the network outputs must be equally wide. A classification task also compares the classes.
        """
        if teacher.output_size != self.output_size:
            return f"the teacher has {teacher.output_size} outputs, this predictor {self.output_size}"
        return None

    def soft_targets(self, teacher: Task, outputs: np.ndarray) -> np.ndarray:
        """The teacher's network ``outputs`` in this task's output space (default: unchanged).

        A task that scales its targets by statistics of its own training rows converts between the two scalings.
        """
        return outputs

    def soft_label_loss(self, outputs: torch.Tensor, soft_targets: torch.Tensor, temperature: float,
                        ) -> torch.Tensor:
        """The student's loss to the teacher's outputs (default: mean squared error; ``temperature`` unused).

        Classification tasks use the KL divergence of temperature-softened distributions.
        """
        import torch.nn.functional as F

        return F.mse_loss(outputs, soft_targets.to(outputs.dtype))


@dataclass(frozen=True)
class TaskPlugin:
    """What a task package registers under the ``automm.tasks`` entry point group; ``plugin_api``: the versions of
    core's plug-in API (``PLUGIN_API``) it works with, as a version specifier (discovery refuses it outside them)."""

    package: str
    version: str
    tasks: Mapping[str, type[Task]]
    infer_problem_type: Callable[[pd.DataFrame], str | None] | None = None
    presets: Mapping[str, Any] = field(default_factory=dict)  # name -> Config, or name -> {problem_type: Config}
    plugin_api: str = ">=1.0,<2"  # a package written before plug-in API versions was written for 1.0
