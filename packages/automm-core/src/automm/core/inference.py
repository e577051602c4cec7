"""Streaming forward passes over a feature table: logits or embeddings, batch by batch, or a score through the
task's accumulating metric."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from .data.loaders import iterate_batches, make_loader
from .metric_choice import evaluation_names
from .metric_names import rename, resolve_all

if TYPE_CHECKING:
    from .state import PredictorState


def run_network(
    net: nn.Module,
    processors: Any,
    features: pd.DataFrame,
    batch_size: int,
    forward: Callable[[Any], torch.Tensor] | None = None,
    row_shape: tuple[int, ...] | None = None,
    num_workers: int = 0,
    realtime_max_rows: int = 64,
    progress: bool | None = None,
) -> np.ndarray | list[Any]:
    """Forward ``features`` through ``net`` (or ``forward``, e.g. ``net.embed``) in eval mode.

    ``processors`` turn rows into batches (``Processors`` or ``SidedProcessors``); ``row_shape`` is the
    shape of one row's output, used when ``features`` has no rows (default: ``net.output_shape``).
    Small inputs (``<= realtime_max_rows``) go straight from the table to the network with no
    DataLoader; larger ones stream through a DataLoader with a progress bar.

    A network whose output is a tensor gives one array ``[rows, *row_shape]``; one that returns a list
    (one entry per row, e.g. a variable number of boxes) gives a list of per-row numpy values.
    """
    batches = _batches(features, processors, batch_size, None, num_workers, realtime_max_rows, progress)
    return _collect((result for _, result in _forward(net, batches, forward)), lambda: row_shape or net.output_shape)


def score_network(net: nn.Module, processors: Any, features: pd.DataFrame, targets: np.ndarray, metric: Any,
                  batch_size: int, num_workers: int = 0, realtime_max_rows: int = 64, progress: bool | None = False,
                  keep_outputs: bool = False) -> tuple[dict[str, Any], np.ndarray | list[Any] | None]:
    """The task's accumulating ``metric`` (``Task.metric``) over ``features`` and their encoded ``targets``, and
    with ``keep_outputs`` the outputs as ``run_network`` gives them (else None), from the same single pass.

    The batches are those of a validation pass: ``metric.update(net(batch), batch.target)`` per batch, then one
    ``compute()``, so a score here equals the one training logs for the same weights and rows.
    """
    metric = metric.to(next(net.parameters()).device)
    batches = _batches(features, processors, batch_size, targets, num_workers, realtime_max_rows, progress)
    kept: list[Any] = []
    for batch, result in _forward(net, batches, None):
        metric.update(result, batch.target)
        if keep_outputs:
            kept.append(result)
    return dict(metric.compute()), _collect(kept, lambda: net.output_shape) if keep_outputs else None


def state_outputs(state: PredictorState, features: pd.DataFrame, progress: bool | None) -> np.ndarray | list[Any]:
    """``run_network`` over a predictor state's network, with its environment settings."""
    env = state.config.env
    return run_network(state.net, state.processors, features, env.eval_batch_size, num_workers=env.num_workers,
                       realtime_max_rows=env.realtime_max_rows, progress=progress)


def state_scores(state: PredictorState, features: pd.DataFrame, targets: np.ndarray, names: list[str] | None,
                 progress: bool | None, keep_outputs: bool = False,
                 ) -> tuple[dict[str, Any], np.ndarray | list[Any] | None]:
    """``score_network`` with the state's task metric of ``names`` (None: ``eval_metric`` then the task's other
    defaults); names are resolved through ``automm.core.metric_names`` and the scores keyed as spelled."""
    env, task = state.config.env, state.task
    asked = names if names is not None else evaluation_names(task)
    canonical = resolve_all(asked, state.problem_type, task.extra_metric_names(), strict=False) if asked else None
    scores, outputs = score_network(state.net, state.processors, features, targets, task.metric(canonical),
                                    env.eval_batch_size, env.num_workers, env.realtime_max_rows, progress,
                                    keep_outputs)
    return (rename(scores, asked, canonical) if asked and canonical else scores), outputs


def _forward(net: nn.Module, batches: Iterable[Any], forward: Callable[[Any], Any] | None,
             ) -> Iterator[tuple[Any, Any]]:
    """(batch on the network's device, its output) for each batch, in eval mode and without gradients."""
    device = _eval_device(net)
    forward = forward or net
    with torch.inference_mode():
        for batch in batches:
            batch = batch.to(device)
            yield batch, forward(batch)


def _collect(results: Iterable[Any], row_shape: Callable[[], tuple[int, ...] | None]) -> np.ndarray | list[Any]:
    """Batch outputs as one array ``[rows, *row_shape()]``, or a list of per-row numpy values for networks that
    return lists (``row_shape`` is asked only when there is no row)."""
    outputs: list[Any] = []
    per_row: list[Any] = []
    for result in results:
        if isinstance(result, torch.Tensor):
            outputs.append(result.float().cpu().numpy())
        else:
            per_row.extend(to_numpy(result))
    if outputs:
        return np.concatenate(outputs)
    shape = None if per_row else row_shape()
    return per_row if shape is None else np.zeros((0, *shape), dtype=np.float32)


def score_outputs(metric: Any, outputs: np.ndarray, targets: np.ndarray) -> dict[str, float]:
    """The task's accumulating ``metric`` over whole-set ``outputs`` (``[rows, ...]``): one update, one compute."""
    metric.update(torch.as_tensor(outputs), torch.as_tensor(targets))
    return dict(metric.compute())


def _eval_device(net: nn.Module) -> torch.device:
    """``net`` in eval mode; the device it is on."""
    if any(module.training for module in net.modules()):  # eval() itself walks and sets every module: ~50 us
        net.eval()
    return next(net.parameters()).device


def _batches(features: pd.DataFrame, processors: Any, batch_size: int, targets: np.ndarray | None,
             num_workers: int, realtime_max_rows: int, progress: bool | None) -> Iterable[Any]:
    """Batches in row order: built directly for a few rows, else from a DataLoader with a progress bar."""
    if len(features) <= realtime_max_rows:
        return iterate_batches(features, processors, batch_size, targets)
    loader = make_loader(features, processors, batch_size, targets, num_workers=num_workers)
    show = progress if progress is not None else len(loader) > 1
    return tqdm(loader, desc="predict", unit="batch", disable=not show)


def to_numpy(value: Any) -> Any:
    """Tensors (inside lists, tuples and dicts too) as numpy arrays on the CPU."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, dict):
        return {k: to_numpy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_numpy(v) for v in value]
    return value
