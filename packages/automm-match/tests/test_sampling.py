"""Batches for in-batch negatives: no pair meets another with the same query or response."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch
from lightning.fabric.utilities.data import _replace_dunder_methods
from lightning.pytorch.trainer.states import RunningStage
from lightning.pytorch.utilities.data import _update_dataloader
from torch.utils.data import BatchSampler, DataLoader, DistributedSampler, RandomSampler

from automm.core import MultiModalPredictor
from automm.core.config import Config
from automm.core.testing.tiny_models import tiny_hyperparameters
from automm.core.training.datamodule import MultiModalDataModule
from automm.match.config import MatchConfig
from automm.match.sampling import NoDuplicatesBatchSampler
from automm.match.task import MatchTask

SIDES = {"query": "q", "response": "r"}


def _keys(rows: int, groups: int, seed: int = 0) -> list[tuple[str, ...]]:
    """Row keys drawn from a few values, so random batches would repeat them."""
    rng = np.random.default_rng(seed)
    return [(f"q{q}", f"r{r}") for q, r in rng.integers(0, groups, (rows, 2))]


def _batches(keys: list[tuple[str, ...]], batch_size: int, seed: int) -> list[list[int]]:
    order = RandomSampler(range(len(keys)), generator=torch.Generator().manual_seed(seed))
    return list(NoDuplicatesBatchSampler(order, batch_size, keys))


def test_batches_hold_no_repeated_key_and_use_each_row_at_most_once() -> None:
    keys = _keys(1000, groups=200)
    batches = _batches(keys, 16, seed=0)
    assert len(batches) == 1000 // 16
    for batch in batches:
        seen = [key for row in batch for key in keys[row]]
        assert len(seen) == len(set(seen)), batch
    rows = [row for batch in batches for row in batch]
    assert len(rows) == len(set(rows))
    assert sum(len(batch) == 16 for batch in batches) >= len(batches) - 2  # only the last ones may come out short


def test_rows_without_repeats_are_all_used_but_the_remainder() -> None:
    keys = [(f"q{i}", f"r{i}") for i in range(103)]
    batches = _batches(keys, 10, seed=1)
    assert [len(batch) for batch in batches] == [10] * 10
    assert len({row for batch in batches for row in batch}) == 100


def test_batches_repeat_under_a_seed_and_change_with_it() -> None:
    keys = _keys(200, groups=50)
    assert _batches(keys, 8, seed=3) == _batches(keys, 8, seed=3)
    assert _batches(keys, 8, seed=3) != _batches(keys, 8, seed=4)


def test_too_few_distinct_values_give_short_batches_but_the_same_number() -> None:
    keys = [("caption", f"c{i % 3}") for i in range(40)]  # every row shares the query: one row per batch
    batches = _batches(keys, 8, seed=0)
    assert [len(batch) for batch in batches] == [1] * 5


def test_rows_without_keys_go_anywhere() -> None:
    keys = [("same",) if i % 2 else () for i in range(20)]
    batches = _batches(keys, 5, seed=0)
    assert all(sum(bool(keys[row]) for row in batch) <= 1 for batch in batches)


def test_a_mined_negative_never_meets_the_pair_it_matches() -> None:
    task = MatchTask.fit(pd.DataFrame(index=range(40)), "text_similarity", SIDES)
    rows = np.arange(40)
    targets = np.column_stack([np.ones(40), rows, rows, (rows + 1) % 40]).astype(np.float32)  # negative: next response
    batches = list(task.train_batch_sampler(RandomSampler(rows), targets, 4, Config(task=MatchConfig())))
    assert len(batches) == 10
    for batch in batches:
        assert not {(row + 1) % 40 for row in batch} & set(batch), batch


def test_losses_without_in_batch_negatives_keep_plain_batches() -> None:
    task = MatchTask.fit(pd.DataFrame({"label": [0, 1]}), "text_similarity", SIDES)  # binary: online contrastive
    assert task.train_batch_sampler(RandomSampler(range(2)), np.ones((2, 3)), 2, Config(task=MatchConfig())) is None


def test_lightning_gives_each_process_a_shard_and_the_same_number_of_batches() -> None:
    keys = _keys(100, groups=40)
    with _replace_dunder_methods(BatchSampler):  # as Lightning does around the train_dataloader hook
        loader = DataLoader(range(100), batch_sampler=NoDuplicatesBatchSampler(RandomSampler(range(100)), 8, keys))
    shards = []
    for rank in range(2):
        shard = DistributedSampler(range(100), num_replicas=2, rank=rank, shuffle=True, seed=0)
        batch_sampler = _update_dataloader(loader, shard, mode=RunningStage.TRAINING).batch_sampler
        assert isinstance(batch_sampler, NoDuplicatesBatchSampler) and batch_sampler.sampler is shard
        shards.append(list(batch_sampler))
    assert len(shards[0]) == len(shards[1]) == 50 // 8
    assert not {row for batch in shards[0] for row in batch} & {row for batch in shards[1] for row in batch}


def test_ranking_fit_draws_batches_without_repeated_queries(tmp_path: Path, tiny_text_model: Path,
                                                            monkeypatch) -> None:
    pairs = pd.DataFrame({"question": [f"question {i % 4}" for i in range(32)],
                          "answer": [f"answer number {i}" for i in range(32)]})
    loaders = []
    original = MultiModalDataModule.train_dataloader

    def recording(self: MultiModalDataModule):
        loaders.append(original(self))
        return loaders[-1]

    monkeypatch.setattr(MultiModalDataModule, "train_dataloader", recording)
    matcher = MultiModalPredictor(problem_type="text_similarity", query="question", response="answer",
                                  path=tmp_path / "matcher", hyperparameters=tiny_hyperparameters(
                                      tiny_text_model, **{"optim.max_epochs": 1, "optim.batch_size": 4}))
    matcher.fit(pairs, tuning_data=pairs.head(8), seed=0)
    assert isinstance(loaders[0].batch_sampler, NoDuplicatesBatchSampler)
    questions = loaders[0].collate_fn.features["question"]
    for batch in loaders[0].batch_sampler:
        assert questions.iloc[batch].nunique() == len(batch) == 4
