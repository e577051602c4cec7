"""automm.core: multimodal tables in, fine-tuned foundation models out.

Heavy modules (torch, transformers, Lightning) load on first use, so ``import automm.core`` is fast.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from .errors import (
    AutoMMError,
    CheckpointNotFoundError,
    ConfigError,
    InputError,
    NotFittedError,
    PredictorLoadError,
    TaskNotInstalledError,
)

try:
    __version__ = version("automm-core")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0"

_LAZY = {
    "MultiModalPredictor": ".predictor",
    "Config": ".config",
    "Task": ".tasks",
    "TaskPlugin": ".tasks",
}

__all__ = [
    "AutoMMError",
    "CheckpointNotFoundError",
    "Config",
    "ConfigError",
    "InputError",
    "MultiModalPredictor",
    "NotFittedError",
    "PredictorLoadError",
    "Task",
    "TaskNotInstalledError",
    "TaskPlugin",
    "__version__",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'automm.core' has no attribute {name!r}")
