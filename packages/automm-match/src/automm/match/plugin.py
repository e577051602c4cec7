"""The ``automm.tasks`` entry point of automm-match."""

from __future__ import annotations

from automm.core.base.registry import EXPORTERS
from automm.core.plugin import TaskPlugin, distribution_version

from . import clip, network  # noqa: F401  (registers the "bi_encoder" and "clip" network kinds)
from .export import export_graphs
from .feature_extraction import FeatureExtractionTask
from .presets import PRESETS
from .task import MatchTask
from .zero_shot_task import ZeroShotImageClassificationTask

PLUGIN = TaskPlugin(
    package="automm-match",
    version=distribution_version("automm-match"),
    tasks={"text_similarity": MatchTask, "image_similarity": MatchTask, "image_text_similarity": MatchTask,
           "zero_shot_image_classification": ZeroShotImageClassificationTask,
           "feature_extraction": FeatureExtractionTask},
    presets=PRESETS,
    plugin_api=">=1.0,<2",  # automm-core's plug-in API versions this package works with (discovery checks)
)
# automm-deploy's exporter of both matcher networks (one ONNX graph per tower)
EXPORTERS.register("bi_encoder")(export_graphs)
EXPORTERS.register("clip")(export_graphs)
