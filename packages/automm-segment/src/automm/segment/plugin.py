"""The ``automm.tasks`` entry point of automm-segment."""

from __future__ import annotations

from automm.core.base.registry import EXPORTERS
from automm.core.plugin import TaskPlugin, distribution_version

from .onnx_export import export_graphs
from .presets import PRESETS
from .task import SegmentationTask

PLUGIN = TaskPlugin(
    package="automm-segment",
    version=distribution_version("automm-segment"),
    tasks={"semantic_segmentation": SegmentationTask},
    presets=PRESETS,
    plugin_api=">=1.0,<2",  # automm-core's plug-in API versions this package works with (discovery checks)
)
EXPORTERS.register("segmenter")(export_graphs)  # automm-deploy's exporter of the segmenter network
