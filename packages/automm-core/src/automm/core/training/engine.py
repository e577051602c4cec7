"""Run a Lightning fit: callbacks, time limit, resume, and the soup of the top-k checkpoints."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import numpy as np
import pandas as pd
import torch
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint

from ..config import Config
from ..data.batch import Processors
from ..inference import score_network
from ..metric_choice import for_validation
from ..models.fusion import MultiModalNet
from ..results import FitResult
from ..tasks import Task
from .budget import BudgetStop, Deadline
from .checkpoint_io import checkpoint_progress, is_readable, read_lightning_weights
from .datamodule import MultiModalDataModule
from .distillation import DistillationObjective
from .module import VAL_SCORE, AuxiliaryObjective, MultiModalLitModule
from .peft_setup import apply_peft, merge_peft
from .progress import FitProgressBar
from .soup import combine_checkpoints
from .tricks import auxiliary_objectives, training_processors

_SCORE = re.compile(r"val_score=(-?[0-9.]+(?:e-?[0-9]+)?|nan|inf)\.ckpt$")


def train(net: MultiModalNet, task: Task, processors: Processors, train_data: tuple[pd.DataFrame, np.ndarray],
          val_data: tuple[pd.DataFrame, np.ndarray], config: Config, workdir: Path,
          deadline: Deadline, resume_from: Path | None = None, train_processors: Any = None,
          save_seconds: float = 0.0, verbosity: int = 2,
          auxiliary: Sequence[AuxiliaryObjective] = (), callbacks: Sequence[pl.Callback] = (),
          task_loss_weight: float = 1.0) -> FitResult:
    """Fit ``net`` in place; on return it holds the souped (or best) weights.

    Training stops early enough for the soup, the task's calibration and a save taking ``save_seconds`` to end by
    ``deadline``.

    ``train_processors`` (default ``processors``) collate the training rows, when a task trains on more
    inputs than it predicts from (mined hard negatives, for example). ``verbosity`` 2 or more shows one
    progress bar, 3 or more Lightning's model summary too. ``auxiliary`` objectives add to the task's loss
    while training (they need a network with ``forward_parts``, such as ``MultiModalNet``). ``callbacks`` are
    extra Lightning callbacks (a hyperparameter search's score reporter, for example). ``task_loss_weight``
    multiplies the task's loss (``distiller.hard_label_weight`` when distilling).
    """
    start = time.monotonic()
    optim, env = config.optim, config.env
    metric, greater_is_better = for_validation(task, val_data[1])  # validation_metric= / eval_metric= / default
    mode = "max" if greater_is_better else "min"
    loss = task.loss(optim, config.task)
    lit = MultiModalLitModule(compiled(net, config), loss, task.metric([metric]), metric, optim,
                              total_steps=optimizer_steps(len(train_data[0]), config), deadline=deadline,
                              auxiliary=auxiliary, task_loss_weight=task_loss_weight)
    top_k = ModelCheckpoint(dirpath=workdir, filename="top-{epoch}-{step}-{val_score:.6f}", monitor=VAL_SCORE,
                            mode=mode, save_top_k=max(1, optim.top_k))
    periodic = ModelCheckpoint(dirpath=workdir, every_n_train_steps=optim.checkpoint_every_n_steps,
                               save_top_k=0, save_last=True, enable_version_counter=False)
    stopper = EarlyStopping(VAL_SCORE, patience=optim.patience, mode=mode)
    # Finishing passes over the validation rows that must run: the soup's first (with several top-k checkpoints; it
    # adds the others only while time is left), the pretrained weights' comparison, and the task's calibration.
    greedy = optim.top_k > 1 and optim.soup == "greedy"
    finishing = int(greedy) + int(task.keep_pretrained_if_better) + int(task.calibrates)
    budget = BudgetStop(deadline, finishing, save_seconds, len(val_data[0]), optim.batch_size)
    step_cap = [StepCap(optim.max_steps)] if optim.max_steps else []
    trainer = _trainer(config, workdir, [top_k, periodic, stopper, *([budget] if deadline.limited else []), *step_cap,
                                         *_progress_bar(verbosity), *callbacks], verbosity)
    data = MultiModalDataModule(processors, train_data, val_data, optim.batch_size, env.eval_batch_size,
                                env.num_workers, train_processors=train_processors,
                                batch_sampler=partial(task.train_batch_sampler, config=config))
    # A task that works zero-shot already has a usable model: fit must not end worse than it on validation.
    pretrained = ({k: v.detach().cpu().clone() for k, v in net.state_dict().items()}
                  if task.keep_pretrained_if_better else None)
    net.train()  # pretrained backbones load in eval mode; dropout must be on while training
    # Read before training: the periodic callback overwrites last.ckpt, which may be the file resumed from.
    resumed_from = checkpoint_progress(resume_from)[1] if resume_from else 0
    trainer.fit(lit, datamodule=data, ckpt_path=resume_from, weights_only=True)
    ranked = ranked_checkpoints(workdir, greater_is_better)
    soup_size = _finish_with_soup(net, task, (metric, greater_is_better), processors, val_data, config,
                                  [path for path, _ in ranked], pretrained,
                                  can_continue=lambda seconds: deadline.remaining() > seconds + save_seconds)
    net.cpu()
    best = ranked[0][1] if ranked else float("nan")
    stopped_by = ("early_stopping" if stopper.stopped_epoch else "time_limit" if budget.stopped
                  else "max_steps" if step_cap and step_cap[0].reached else "max_epochs")
    epochs, steps = trainer.current_epoch, trainer.global_step
    if steps == 0 and (workdir / "last.ckpt").exists():  # multi-process: progress lives in the workers
        epochs, steps = checkpoint_progress(workdir / "last.ckpt")
        epochs += 1
    return FitResult(best, soup_size, epochs, steps, time.monotonic() - start, stopped_by, resumed_from,
                     kept_pretrained=bool(ranked) and soup_size == 0, validation_metric=metric)


def fit_network(net: MultiModalNet, task: Task, processors: Processors, train_data: tuple[pd.DataFrame, np.ndarray],
                val_data: tuple[pd.DataFrame, np.ndarray], config: Config, workdir: Path, deadline: Deadline,
                auxiliary: Sequence[AuxiliaryObjective] = (), **options: Any) -> FitResult:
    """``train`` with the config's PEFT adapters (merged back afterwards, even on failure), the task's training
    inputs and training processors, and the config's auxiliary objectives after ``auxiliary``; ``options`` are
    ``train``'s (``resume_from``, ``verbosity``, ``save_seconds``, ``callbacks``). With distillation objectives
    among ``auxiliary``, the task's loss on the true labels weighs ``distiller.hard_label_weight``."""
    apply_peft(net, config.optim.peft, config.optim.lora_rank, config.optim.lora_alpha)
    try:
        train_processors, *rows = task.training_data(net, training_processors(processors, config), *train_data,
                                                     config)
        return train(net, task, processors, tuple(rows), val_data, config, workdir, deadline,
                     train_processors=train_processors,
                     auxiliary=[*auxiliary, *auxiliary_objectives(net, config)],
                     task_loss_weight=task_loss_weight(auxiliary, config), **options)
    finally:  # a failed fit must not leave adapters that save() would write as unloadable weights
        merge_peft(net)


def _finish_with_soup(net: MultiModalNet, task: Task, tracked: tuple[str, bool], processors: Processors,
                      val_data: tuple[pd.DataFrame, np.ndarray], config: Config, ranked: list[Path],
                      pretrained: dict[str, torch.Tensor] | None = None,
                      can_continue: Callable[[float], bool] = lambda seconds: True) -> int:
    """Load the ``optim.soup`` of ``ranked`` into ``net``, or ``pretrained`` if that scores better (returns 0); both
    scored by ``tracked`` (metric name, greater is better), the metric the checkpoints were ranked by.

    ``can_continue(seconds)`` says whether another validation pass of that many seconds still fits the budget.
    """
    if not ranked:
        return 0
    if len(ranked) == 1 and pretrained is None:  # nothing to compare: no validation pass needed
        net.load_state_dict(read_lightning_weights(ranked[0]))
        return 1
    metric, greater_is_better = tracked
    features, targets = val_data

    def evaluate(weights: dict[str, torch.Tensor]) -> float:
        net.load_state_dict(weights)
        scores, _ = score_network(net, processors, features, targets, task.metric([metric]),
                                  config.env.eval_batch_size, num_workers=config.env.num_workers)
        return float(scores[metric])

    weights, used, score = combine_checkpoints(config.optim.soup, ranked, evaluate, greater_is_better, can_continue)
    if pretrained is not None:
        trained = score()
        before = evaluate(pretrained)
        better = before > trained if greater_is_better else before < trained
        if better or (math.isnan(trained) and not math.isnan(before)):
            weights, used = pretrained, 0
    net.load_state_dict(weights)
    return used


def ranked_checkpoints(workdir: Path, greater_is_better: bool) -> list[tuple[Path, float]]:
    """The top-k checkpoints on disk, best first, by the score in their file names.

    Read from disk rather than from the callback, so it also works after multi-process training,
    where the callback's state lives in the worker processes.
    """
    scored = []
    for path in workdir.glob("top-*.ckpt"):
        match = _SCORE.search(path.name)
        if match and math.isfinite(float(match.group(1))) and is_readable(path):
            scored.append((path, float(match.group(1))))
    return sorted(scored, key=lambda item: item[1], reverse=greater_is_better)


def _trainer(config: Config, workdir: Path, callbacks: list[pl.Callback], verbosity: int) -> pl.Trainer:
    """The Lightning trainer of the config's environment and optimisation settings."""
    optim, env = config.optim, config.env
    return pl.Trainer(
        accelerator=env.accelerator,
        devices=env.devices,
        num_nodes=env.num_nodes,
        strategy=_strategy(env.strategy, env.devices, env.num_nodes),
        precision=_precision(optim.precision),
        max_epochs=optim.max_epochs,
        max_steps=optim.max_steps or -1,
        accumulate_grad_batches=accumulation(config),
        gradient_clip_val=optim.gradient_clip or None,
        gradient_clip_algorithm=optim.gradient_clip_algorithm,
        log_every_n_steps=env.log_every_n_steps,
        val_check_interval=1.0 / max(1, optim.val_checks_per_epoch),
        check_val_every_n_epoch=optim.val_every_n_epochs,
        callbacks=callbacks,
        default_root_dir=workdir,
        logger=False,
        num_sanity_val_steps=0,
        enable_progress_bar=verbosity >= 2,
        enable_model_summary=verbosity >= 3,
    )


class StepCap(pl.Callback):
    """Stop at ``optim.max_steps`` optimizer steps through ``Trainer.should_stop``, so that Lightning validates the
    last weights (its own ``max_steps`` ends the epoch without a validation when the cap falls mid-epoch)."""

    def __init__(self, max_steps: int):
        self.max_steps, self.reached = max_steps, False

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        if trainer.global_step >= self.max_steps:
            trainer.should_stop = self.reached = True


def task_loss_weight(auxiliary: Sequence[AuxiliaryObjective], config: Config) -> float:
    """``distiller.hard_label_weight`` when ``auxiliary`` learns from a teacher, else 1."""
    distilling = any(isinstance(objective, DistillationObjective) for objective in auxiliary)
    return config.distiller.hard_label_weight if distilling else 1.0


def accumulation(config: Config) -> int:
    """Batches per optimizer step: ``optim.effective_batch_size`` over the rows all processes read in one step."""
    optim, env = config.optim, config.env
    if not optim.effective_batch_size:
        return 1
    return max(1, math.ceil(optim.effective_batch_size / (optim.batch_size * env.devices * env.num_nodes)))


def optimizer_steps(rows: int, config: Config) -> int:
    """The optimizer steps the LR schedule spans: per epoch, the batches over the accumulation, at most
    ``optim.max_steps`` in all."""
    optim = config.optim
    per_epoch = math.ceil(max(1, rows // optim.batch_size) / accumulation(config))
    total = per_epoch * optim.max_epochs
    return min(total, optim.max_steps) if optim.max_steps else total


def compiled(net: torch.nn.Module, config: Config) -> torch.nn.Module:
    """``net`` through ``torch.compile`` when ``env.compile`` (training checkpoints then hold ``_orig_mod.`` keys,
    which ``read_lightning_weights`` removes), else ``net`` itself."""
    env = config.env
    if not env.compile:
        return net
    return torch.compile(net, mode=env.compile_mode, dynamic=env.compile_dynamic, backend=env.compile_backend)


def _progress_bar(verbosity: int) -> list[FitProgressBar]:
    return [FitProgressBar()] if verbosity >= 2 else []


def _strategy(name: str, devices: int, num_nodes: int) -> str:
    """Several CPU/GPU processes fork by default, so ``python -c`` and scripts without a main guard work.

    DDP looks for parameters a step did not use: pretrained backbones carry some (a text model's pooler when the
    predictor mean-pools, for example), and without the search DDP stops at the first step.
    """
    if name == "auto" and (devices > 1 or num_nodes > 1):
        return "ddp_find_unused_parameters_true" if num_nodes > 1 else "ddp_fork_find_unused_parameters_true"
    return name


def _precision(setting: str) -> str:
    if setting != "auto":
        return setting
    return "16-mixed" if torch.cuda.is_available() else "32-true"
