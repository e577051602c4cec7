"""How much memory a training device has free, how much a step takes, and whether an error means it ran out.

A task that can size its batches (SAM's micro-batches, for example) measures one step with ``PeakMemory``, reads
``available_bytes`` and refuses or shrinks before training rather than being killed by the kernel mid-fit.

Example:
    >>> with PeakMemory(torch.device("cpu")) as peak:
    ...     loss = model(images).mean(); loss.backward()
    >>> peak.bytes, available_bytes(torch.device("cpu"))
"""

from __future__ import annotations

import os
import resource
import weakref
from pathlib import Path
from types import TracebackType
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

GIB = 1024**3
# Messages of the allocation failures torch raises (CPU allocator, CUDA caching allocator, MPS).
_OUT_OF_MEMORY = ("out of memory", "can't allocate memory", "cannot allocate memory", "not enough memory")


def is_out_of_memory(error: BaseException) -> bool:
    """Whether ``error`` is a failed allocation (``torch.cuda.OutOfMemoryError``, ``MemoryError``, or a
    ``RuntimeError`` whose message says the allocator ran out)."""
    if isinstance(error, (torch.cuda.OutOfMemoryError, MemoryError)):
        return True
    return isinstance(error, RuntimeError) and any(words in str(error).lower() for words in _OUT_OF_MEMORY)


def available_bytes(device: torch.device) -> int | None:
    """Memory this process can still allocate on ``device``: the GPU's free memory, or on the CPU the system's
    available memory (``MemAvailable``, else psutil), capped by this process's address-space limit; None when
    unknown (another accelerator, or no way to ask)."""
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    if device.type != "cpu":
        return None
    free = _system_available()
    limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    if limit != resource.RLIM_INFINITY:
        headroom = max(0, limit - _virtual_size())
        free = headroom if free is None else min(free, headroom)
    return free


def _system_available() -> int | None:
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    try:
        import psutil
    except ImportError:
        return None
    return int(psutil.virtual_memory().available)


def _virtual_size() -> int:
    """This process's address space in bytes (what ``RLIMIT_AS`` caps)."""
    statm = Path("/proc/self/statm")
    return int(statm.read_text().split()[0]) * os.sysconf("SC_PAGE_SIZE") if statm.is_file() else 0


class PeakMemory:
    """Peak memory the tensors created inside the ``with`` block take on ``device`` (activations, gradients,
    temporaries; not what existed before): ``torch.cuda.max_memory_allocated`` on a GPU; on the CPU, every tensor
    an operator returns is counted until it is freed (a dispatch mode), since the process's resident memory says
    little once the allocator holds freed memory.

    ``bytes`` is None when the device cannot be measured.
    """

    def __init__(self, device: torch.device):
        self.device = device
        self.bytes: int | None = None
        self._start = 0
        self._tracker: _LiveTensors | None = None

    def __enter__(self) -> PeakMemory:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self._start = torch.cuda.memory_allocated(self.device)
        elif self.device.type == "cpu":
            self._tracker = _LiveTensors().__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            self.bytes = torch.cuda.max_memory_allocated(self.device) - self._start
        elif self._tracker is not None:
            self._tracker.__exit__(kind, error, traceback)
            self.bytes = self._tracker.peak


class _LiveTensors(TorchDispatchMode):
    """Bytes of the storages operators create while active, each until it is freed; ``peak`` the most at once.
    Views and in-place results share an input's storage and are not counted again."""

    def __init__(self) -> None:
        super().__init__()
        self.live = self.peak = 0
        self._counted: set[int] = set()

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        inputs = {t.untyped_storage().data_ptr() for t in tree_leaves((args, kwargs)) if isinstance(t, torch.Tensor)}
        for tensor in tree_leaves(out):
            if isinstance(tensor, torch.Tensor) and tensor.device.type == "cpu":
                storage = tensor.untyped_storage()
                key = storage.data_ptr()
                if key and key not in inputs and key not in self._counted:
                    self._counted.add(key)
                    self.live += storage.nbytes()
                    self.peak = max(self.peak, self.live)
                    weakref.finalize(storage, self._freed, key, storage.nbytes())
        return out

    def _freed(self, key: int, size: int) -> None:
        self._counted.discard(key)
        self.live -= size
