"""Processor kinds a task package registers, so its own processors are saved as JSON and rebuilt by name.

A registered class has ``kind`` (a class attribute), ``to_json() -> dict``, a class method
``from_json(data, text_folder) -> processors``, ``columns`` (the columns it reads) and
``collate(rows, targets=None, train=False) -> batch`` (a batch has ``to(device)``, ``__len__`` and ``target``).
"""

from __future__ import annotations

from typing import Any

from ..base.registry import Registry

PROCESSOR_KINDS: Registry[Any] = Registry("processor kind")
