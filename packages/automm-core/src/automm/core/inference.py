"""Streaming forward passes over a feature table: logits or embeddings, batch by batch, or a score through the
task's accumulating metric."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from .data.loaders import iterate_batches, make_loader


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
    device = _eval_device(net)
    forward = forward or net
    batches = _batches(features, processors, batch_size, None, num_workers, realtime_max_rows, progress)
    outputs: list[Any] = []
    per_row: list[Any] = []
    with torch.inference_mode():
        for batch in batches:
            result = forward(batch.to(device))
            if isinstance(result, torch.Tensor):
                outputs.append(result.float().cpu().numpy())
            else:
                per_row.extend(to_numpy(result))
    if per_row or (not outputs and (row_shape or net.output_shape) is None):
        return per_row
    if not outputs:
        return np.zeros((0, *(row_shape or net.output_shape)), dtype=np.float32)
    return np.concatenate(outputs)


def score_network(net: nn.Module, processors: Any, features: pd.DataFrame, targets: np.ndarray, metric: Any,
                  batch_size: int, num_workers: int = 0, realtime_max_rows: int = 64,
                  progress: bool | None = False) -> dict[str, float]:
    """The task's accumulating ``metric`` (``Task.metric``) over ``features`` and their encoded ``targets``.

    The batches are those of a validation pass: ``metric.update(net(batch), batch.target)`` per batch, then one
    ``compute()``, so a score here equals the one training logged for the same weights.
    """
    device = _eval_device(net)
    metric = metric.to(device)
    with torch.inference_mode():
        for batch in _batches(features, processors, batch_size, targets, num_workers, realtime_max_rows, progress):
            batch = batch.to(device)
            metric.update(net(batch), batch.target)
    return {name: float(value) for name, value in metric.compute().items()}


def score_outputs(metric: Any, outputs: np.ndarray, targets: np.ndarray) -> dict[str, float]:
    """The task's accumulating ``metric`` over whole-set ``outputs`` (``[rows, ...]``): one update, one compute."""
    metric.update(torch.as_tensor(outputs), torch.as_tensor(targets))
    return {name: float(value) for name, value in metric.compute().items()}


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
