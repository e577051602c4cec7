"""The ``automm.tasks`` entry point of automm-classify."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from automm.core.tasks import TaskPlugin

from .classification import ClassificationTask
from .inference import infer_problem_type
from .multilabel import MultilabelTask
from .presets import PRESETS
from .regression import RegressionTask

try:
    _VERSION = version("automm-classify")
except PackageNotFoundError:
    _VERSION = "0.0.0"

PLUGIN = TaskPlugin(
    package="automm-classify",
    version=_VERSION,
    tasks={
        "binary": ClassificationTask,
        "multiclass": ClassificationTask,
        "regression": RegressionTask,
        "multi_output_regression": RegressionTask,
        "multilabel": MultilabelTask,
    },
    infer_problem_type=infer_problem_type,
    presets=PRESETS,
)
