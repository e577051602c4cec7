"""The ``automm.tasks`` entry point of automm-classify."""

from __future__ import annotations

from automm.core.plugin import TaskPlugin, distribution_version

from .classification import ClassificationTask
from .few_shot import FewShotClassificationTask
from .inference import infer_problem_type
from .multilabel import MultilabelTask
from .ner.task import NERTask
from .presets import PRESETS
from .regression import RegressionTask

PLUGIN = TaskPlugin(
    package="automm-classify",
    version=distribution_version("automm-classify"),
    tasks={
        "binary": ClassificationTask,
        "multiclass": ClassificationTask,
        "regression": RegressionTask,
        "multi_output_regression": RegressionTask,
        "multilabel": MultilabelTask,
        "ner": NERTask,
        "few_shot_classification": FewShotClassificationTask,
    },
    infer_problem_type=infer_problem_type,
    presets=PRESETS,
    plugin_api=">=1.0,<2",  # automm-core's plug-in API versions this package works with (discovery checks)
)
