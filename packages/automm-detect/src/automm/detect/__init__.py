"""automm.detect: object detection for core's MultiModalPredictor (COCO / VOC / DataFrame in, boxes out).

Use it through ``MultiModalPredictor(problem_type="object_detection")``; this package adds
``visualize`` (boxes drawn on an image), ``export_onnx`` and ``read_detection_data`` (any supported source
as a table), and AutoGluon-MM's helpers under their names: ``ObjectDetectionVisualizer``,
``visualize_detection``, ``from_coco`` and ``object_detection_df_to_coco``.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("automm-detect")
except PackageNotFoundError:
    __version__ = "0.0.0"

__all__ = ["MultiModalPredictor", "ObjectDetectionVisualizer", "__version__", "export_onnx", "from_coco",
           "object_detection_df_to_coco", "read_detection_data", "visualize", "visualize_detection"]


# Public names -> the module that defines them, imported on first use (torch and the backends are heavy).
_LAZY = {"MultiModalPredictor": "automm.core", "visualize": ".visualize", "export_onnx": ".onnx_export",
         "read_detection_data": ".ingest", "ObjectDetectionVisualizer": ".visualizer",
         "visualize_detection": ".visualizer", "from_coco": ".coco", "object_detection_df_to_coco": ".coco"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'automm.detect' has no attribute {name!r}")
