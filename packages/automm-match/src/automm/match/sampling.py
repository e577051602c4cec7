"""Batches without repeated pairs, for losses that use the other pairs of a batch as negatives."""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Hashable, Iterator, Sequence

from torch.utils.data import BatchSampler, Sampler


class NoDuplicatesBatchSampler(BatchSampler):
    """Batches in which no two rows share a key (a query, a response): in-batch negatives are true negatives.

    The idea of sentence-transformers' sampler of the same name, over a ``sampler`` of row positions so that
    Lightning can swap in each process's shard under several processes (its sampler shuffles a dataset itself).
    A row whose keys clash with the batch waits for a later one. Every epoch has ``max(1, rows // batch_size)``
    batches, as plain batches dropping the last partial one would, so the step count is fixed; a batch comes out
    short only when the rows left cannot fill it without a repeat, and the rows left at the end are dropped.

    Example:
        >>> list(NoDuplicatesBatchSampler(range(4), 2, [{"a"}, {"a"}, {"b"}, {"c"}]))
        [[0, 2], [1, 3]]
    """

    def __init__(self, sampler: Sampler[int] | Sequence[int], batch_size: int, keys: Sequence[Collection[Hashable]]):
        super().__init__(sampler, batch_size, drop_last=True)
        self.keys = keys

    def __len__(self) -> int:
        return max(1, len(self.sampler) // self.batch_size)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[list[int]]:
        waiting = deque(self.sampler)
        for _ in range(len(self)):
            batch: list[int] = []
            seen: set[Hashable] = set()
            clashing: list[int] = []
            while waiting and len(batch) < self.batch_size:
                row = waiting.popleft()
                if seen.isdisjoint(self.keys[row]):
                    batch.append(row)
                    seen.update(self.keys[row])
                else:
                    clashing.append(row)
            waiting.extendleft(reversed(clashing))
            yield batch
