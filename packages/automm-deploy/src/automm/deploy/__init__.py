"""automm.deploy: run exported automm predictors without torch, export them to ONNX, serve them.

``load`` needs only onnxruntime, numpy, pandas, Pillow and tokenizers; ``export`` needs the training stack
(``pip install "automm-deploy[export]"``).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("automm-deploy")
except PackageNotFoundError:
    __version__ = "0.0.0"

__all__ = ["ExportedPredictor", "__version__", "export", "load"]


def __getattr__(name: str) -> Any:
    if name in ("load", "ExportedPredictor"):
        from . import runtime

        return getattr(runtime, name)
    if name == "export":
        from .exporting import export

        return export
    raise AttributeError(f"module 'automm.deploy' has no attribute {name!r}")
