"""The ``automm.tasks`` entry point of automm-detect."""

from __future__ import annotations

from automm.core.base.registry import EXPORTERS
from automm.core.plugin import TaskPlugin, distribution_version

from .onnx_export import export_graphs
from .presets import PRESETS
from .task import DetectionTask

PLUGIN = TaskPlugin(
    package="automm-detect",
    version=distribution_version("automm-detect"),
    tasks={"object_detection": DetectionTask},
    presets=PRESETS,
    plugin_api=">=1.0,<2",  # automm-core's plug-in API versions this package works with (discovery checks)
)
EXPORTERS.register("detector")(export_graphs)  # automm-deploy's exporter of the detector network
