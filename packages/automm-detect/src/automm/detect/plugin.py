"""The ``automm.tasks`` entry point of automm-detect."""

from __future__ import annotations

from automm.core.plugin import TaskPlugin, distribution_version

from .presets import PRESETS
from .task import DetectionTask

PLUGIN = TaskPlugin(
    package="automm-detect",
    version=distribution_version("automm-detect"),
    tasks={"object_detection": DetectionTask},
    presets=PRESETS,
)
