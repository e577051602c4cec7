"""automm.segment: semantic segmentation for core's MultiModalPredictor (image + mask path in, masks out).

Use it through ``MultiModalPredictor(problem_type="semantic_segmentation", label="label")``; this package
adds ``visualize`` (the mask blended over its image), ``export_onnx`` and AutoGluon-MM's
``SemanticSegmentationVisualizer``.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("automm-segment")
except PackageNotFoundError:
    __version__ = "0.0.0"

__all__ = ["MultiModalPredictor", "SemanticSegmentationVisualizer", "__version__", "export_onnx", "visualize"]


# Public names -> the module that defines them, imported on first use (torch and the backends are heavy).
_LAZY = {"MultiModalPredictor": "automm.core", "visualize": ".visualize", "export_onnx": ".onnx_export",
         "SemanticSegmentationVisualizer": ".visualizer"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'automm.segment' has no attribute {name!r}")
