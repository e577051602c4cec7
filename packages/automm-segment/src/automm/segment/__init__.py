"""automm.segment: semantic segmentation for core's MultiModalPredictor (image + mask path in, masks out).

Use it through ``MultiModalPredictor(problem_type="semantic_segmentation", label="label")``; this package
adds ``visualize`` (the mask blended over its image) and ``export_onnx``.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("automm-segment")
except PackageNotFoundError:
    __version__ = "0.0.0"

__all__ = ["MultiModalPredictor", "__version__", "export_onnx", "visualize"]


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
    raise AttributeError(f"module 'automm.segment' has no attribute {name!r}")
