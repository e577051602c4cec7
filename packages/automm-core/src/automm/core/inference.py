"""Streaming forward passes over a feature table: logits or embeddings, batch by batch."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from .data.batch import Batch, Processors
from .data.loaders import iterate_batches, make_loader
from .models.fusion import MultiModalNet


def run_network(
    net: MultiModalNet,
    processors: Processors,
    features: pd.DataFrame,
    batch_size: int,
    output: str = "logits",
    num_workers: int = 0,
    realtime_max_rows: int = 64,
    progress: bool | None = None,
) -> np.ndarray:
    """Forward ``features`` through ``net`` in eval mode; ``output`` is "logits" or "embeddings".

    Small inputs (``<= realtime_max_rows``) go straight from the table to the network with no
    DataLoader; larger ones stream through a DataLoader with a progress bar.
    """
    net.eval()
    device = next(net.parameters()).device
    forward: Callable[[Batch], torch.Tensor] = net if output == "logits" else net.embed
    if len(features) <= realtime_max_rows:
        batches = iterate_batches(features, processors, batch_size)
    else:
        batches = make_loader(features, processors, batch_size, num_workers=num_workers)
        show = progress if progress is not None else len(batches) > 1
        batches = tqdm(batches, desc="predict", unit="batch", disable=not show)
    outputs = []
    with torch.inference_mode():
        for batch in batches:
            outputs.append(forward(batch.to(device)).float().cpu().numpy())
    if not outputs:
        width = net.embedding_size if output == "embeddings" else net.head[-1].out_features
        return np.zeros((0, width), dtype=np.float32)
    return np.concatenate(outputs)
