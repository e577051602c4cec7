"""automm.detect: object detection for core's MultiModalPredictor (COCO / VOC / DataFrame in, boxes out).

Use it through ``MultiModalPredictor(problem_type="object_detection")``; this package adds
``visualize`` (boxes drawn on an image), ``export_onnx`` and ``read_detection_data`` (any supported source
as a table).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("automm-detect")
except PackageNotFoundError:
    __version__ = "0.0.0"

__all__ = ["MultiModalPredictor", "__version__", "export_onnx", "read_detection_data", "visualize"]


def __getattr__(name: str) -> Any:
    if name == "MultiModalPredictor":
        from automm.core import MultiModalPredictor

        return MultiModalPredictor
    if name == "visualize":
        from .visualize import visualize

        return visualize
    if name == "export_onnx":
        from .onnx_export import export_onnx

        return export_onnx
    if name == "read_detection_data":
        from .ingest import read_detection_data

        return read_detection_data
    raise AttributeError(f"module 'automm.detect' has no attribute {name!r}")
