"""Streaming forward passes over a feature table: logits or embeddings, batch by batch."""

from __future__ import annotations

from collections.abc import Callable
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
) -> np.ndarray:
    """Forward ``features`` through ``net`` (or ``forward``, e.g. ``net.embed``) in eval mode.

    ``processors`` turn rows into batches (``Processors`` or ``SidedProcessors``); ``row_shape`` is the
    shape of one row's output, used when ``features`` has no rows (default: ``net.output_shape``).
    Small inputs (``<= realtime_max_rows``) go straight from the table to the network with no
    DataLoader; larger ones stream through a DataLoader with a progress bar.

    A network whose output is a tensor gives one array ``[rows, *row_shape]``; one that returns a list
    (one entry per row, e.g. a variable number of boxes) gives a list of per-row numpy values.
    """
    if any(module.training for module in net.modules()):  # eval() itself walks and sets every module: ~50 us
        net.eval()
    device = next(net.parameters()).device
    forward = forward or net
    if len(features) <= realtime_max_rows:
        batches = iterate_batches(features, processors, batch_size)
    else:
        batches = make_loader(features, processors, batch_size, num_workers=num_workers)
        show = progress if progress is not None else len(batches) > 1
        batches = tqdm(batches, desc="predict", unit="batch", disable=not show)
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


def to_numpy(value: Any) -> Any:
    """Tensors (inside lists, tuples and dicts too) as numpy arrays on the CPU."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, dict):
        return {k: to_numpy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_numpy(v) for v in value]
    return value
