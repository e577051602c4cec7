from __future__ import annotations

import importlib.util

import pytest

from automm.core.errors import ConfigError, TaskNotInstalledError
from automm.core.tasks import plugin_for


@pytest.mark.parametrize(("problem_type", "package"), [("object_detection", "automm-detect"),
                                                       ("semantic_segmentation", "automm-segment")])
def test_missing_task_package_is_named(problem_type: str, package: str) -> None:
    if importlib.util.find_spec(f"automm.{package.split('-')[1]}") is not None:
        pytest.skip(f"{package} is installed")
    with pytest.raises(TaskNotInstalledError, match=f"pip install {package}"):
        plugin_for(problem_type)


@pytest.mark.skipif(importlib.util.find_spec("automm.classify") is not None, reason="automm-classify is installed")
def test_classification_without_classify_installed() -> None:
    import pandas as pd

    from automm.core import MultiModalPredictor

    with pytest.raises(TaskNotInstalledError, match="pip install automm-classify"):
        MultiModalPredictor(label="y").fit(pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": ["a", "b", "a", "b"]}))


def test_unknown_problem_type_suggests() -> None:
    with pytest.raises(ConfigError, match='Did you mean "multiclass"'):
        plugin_for("multiclas")
