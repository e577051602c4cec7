"""automm.core.vision.memory: free memory, the peak of a block of code's tensors, allocation failures."""

from __future__ import annotations

import torch

from automm.core.vision.memory import PeakMemory, available_bytes, is_out_of_memory


def test_peak_counts_the_tensors_created_inside_until_freed() -> None:
    weight = torch.randn(1000, 1000, requires_grad=True)  # exists before: not counted
    with PeakMemory(torch.device("cpu")) as first:
        big = torch.ones(2_000_000)  # 8 MB, freed before the end
        del big
        (weight @ weight).sum().backward()  # a 4 MB product and a 4 MB gradient
    with PeakMemory(torch.device("cpu")) as views:
        weight.detach().view(-1)[:10].add_(0)  # a view and an in-place result: no new storage
    assert 8_000_000 <= first.bytes < 20_000_000
    assert views.bytes == 0


def test_available_memory_and_allocation_failures() -> None:
    free = available_bytes(torch.device("cpu"))
    assert free is None or free > 0
    assert available_bytes(torch.device("meta")) is None
    assert is_out_of_memory(RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 9 GB"))
    assert is_out_of_memory(torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert not is_out_of_memory(RuntimeError("mat1 and mat2 shapes cannot be multiplied"))
