"""Under several processes the validation metric is the whole set's score, not an average of per-process scores."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from sklearn.metrics import roc_auc_score
from torch.utils.data import DistributedSampler

from automm.core.metric import TaskMetric
from automm.core.training.datamodule import MultiModalDataModule

# Per-process (scores, labels): ROC-AUC 1.0 on the first, 0.0 on the second (mean 0.5); 2/3 on all rows.
SHARDS = [([0.1, 0.9], [0, 1]), ([0.2, 0.8, 0.85], [1, 0, 0])]


def _roc_auc(outputs: np.ndarray, targets: np.ndarray) -> dict[str, float]:
    return {"roc_auc": float(roc_auc_score(targets, outputs))}


def _score_on_rank(rank: int, folder: Path) -> None:
    dist.init_process_group("gloo", init_method=f"file://{folder / 'store'}", rank=rank, world_size=len(SHARDS))
    try:
        metric = TaskMetric(_roc_auc)
        scores, labels = SHARDS[rank]
        for score, label in zip(scores, labels):  # one row per batch: several updates, uneven per process
            metric.update(torch.tensor([score]), torch.tensor([label]))
        (folder / f"rank{rank}.json").write_text(json.dumps(metric.compute()))
    finally:
        dist.destroy_process_group()


def test_processes_score_the_gathered_rows_once(tmp_path: Path) -> None:
    scores = np.concatenate([s for s, _ in SHARDS])
    labels = np.concatenate([t for _, t in SHARDS])
    whole = roc_auc_score(labels, scores)
    assert whole != np.mean([roc_auc_score(t, s) for s, t in SHARDS])
    mp.start_processes(_score_on_rank, args=(tmp_path,), nprocs=len(SHARDS), start_method="fork")
    for rank in range(len(SHARDS)):
        assert json.loads((tmp_path / f"rank{rank}.json").read_text()) == {"roc_auc": whole}


def test_each_process_validates_its_own_rows_none_twice() -> None:
    rows = 7
    data = (pd.DataFrame({"x": range(rows)}), np.zeros(rows))
    shards = []
    for rank in range(2):
        datamodule = MultiModalDataModule(None, data, data, batch_size=2, eval_batch_size=2)  # type: ignore[arg-type]
        datamodule.trainer = SimpleNamespace(world_size=2, global_rank=rank)  # type: ignore[assignment]
        loader = datamodule.val_dataloader()
        assert isinstance(loader.sampler, DistributedSampler)  # Lightning keeps it rather than padding the shards
        shards.append([row for batch in loader.batch_sampler for row in batch])
    assert sorted(shards[0] + shards[1]) == list(range(rows))
