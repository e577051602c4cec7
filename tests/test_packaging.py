"""Packaging promises: a PEP 420 namespace, a pinned public API, a light import."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import distribution
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import automm.classify
import automm.core
import automm.deploy
import automm.detect
import automm.match
import automm.segment

DISTRIBUTIONS = ("automm-core", "automm-classify", "automm-match", "automm-detect", "automm-segment", "automm-deploy")


def test_no_distribution_ships_automm_init() -> None:
    for name in DISTRIBUTIONS:
        files = [str(f) for f in distribution(name).files or []]
        assert not [f for f in files if f.replace("\\", "/").endswith("automm/__init__.py")], name


def test_public_api_is_pinned() -> None:
    assert sorted(automm.core.__all__) == [
        "AutoMMError", "CheckpointNotFoundError", "Config", "ConfigError", "InputError", "MultiModalPredictor",
        "NotFittedError", "PredictorLoadError", "Task", "TaskNotInstalledError", "TaskPlugin", "__version__",
    ]
    assert sorted(automm.classify.__all__) == ["MultiModalPredictor", "__version__", "plot_confusion_matrix",
                                               "plot_residuals", "visualize_ner"]
    assert automm.classify.MultiModalPredictor is automm.core.MultiModalPredictor
    assert sorted(automm.match.__all__) == ["MultiModalPredictor", "__version__", "compute_ranking_score",
                                            "compute_semantic_similarity", "export_sentence_transformer",
                                            "plot_similarity", "semantic_search", "zero_shot_classify"]
    assert automm.match.MultiModalPredictor is automm.core.MultiModalPredictor
    assert sorted(automm.detect.__all__) == ["MultiModalPredictor", "ObjectDetectionVisualizer", "__version__",
                                             "export_onnx", "from_coco", "object_detection_df_to_coco",
                                             "read_detection_data", "visualize", "visualize_detection"]
    assert automm.detect.MultiModalPredictor is automm.core.MultiModalPredictor
    assert sorted(automm.segment.__all__) == ["MultiModalPredictor", "SemanticSegmentationVisualizer", "__version__",
                                              "export_onnx", "visualize"]
    assert sorted(automm.deploy.__all__) == ["ExportedPredictor", "__version__", "export", "load"]


def test_import_does_not_load_torch() -> None:
    code = ("import sys, automm.core, automm.classify, automm.match, automm.detect, automm.segment, automm.deploy; "
            "from automm.deploy import load; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def _loaded_after(code: str, modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` a fresh interpreter has imported after running ``code``."""
    probe = f"import sys; {code}; print(' '.join(m for m in {modules!r} if m in sys.modules))"
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()


def test_importing_the_predictor_loads_no_framework() -> None:
    heavy = ("torch", "lightning", "transformers", "sklearn", "scipy")
    assert _loaded_after("from automm.core import MultiModalPredictor", heavy) == []


def test_loading_the_classification_tasks_loads_no_scikit_learn() -> None:
    """What ``MultiModalPredictor.load`` imports for a classifier: metrics and scipy wait until they are used."""
    assert _loaded_after("import automm.classify.plugin", ("sklearn", "scipy")) == []


def test_discovering_every_task_package_loads_no_torchmetrics() -> None:
    """Discovery imports every installed plug-in (each ``load`` does): the detection and segmentation metrics, which
    subclass torchmetrics' Metric (seconds to import), wait until a fit or an evaluation builds them."""
    code = "from automm.core.discovery import installed_plugins; print(len(installed_plugins()), end=' ')"
    assert _loaded_after(code, ("automm.detect.task", "automm.segment.task", "torchmetrics")) == [
        "4", "automm.detect.task", "automm.segment.task"]


TRAINING_STACK = {"torch", "torchvision", "lightning", "transformers", "timm", "peft"}


def _requirements(package: str) -> tuple[list[Requirement], dict[str, list[Requirement]]]:
    """``package``'s base requirements and extras, from its pyproject.toml in this checkout."""
    import tomllib

    root = Path(__file__).resolve().parents[1]
    project = tomllib.loads((root / "packages" / package / "pyproject.toml").read_text())["project"]
    extras = project.get("optional-dependencies", {})
    return ([Requirement(r) for r in project["dependencies"]],
            {name: [Requirement(r) for r in reqs] for name, reqs in extras.items()})


def test_the_deploy_runtime_requires_no_training_stack() -> None:
    """automm-deploy's base requirements (no extra): core's torch-free base, none of torch, transformers, lightning."""
    base, extras = _requirements("automm-deploy")
    names = {r.name.lower() for r in base}
    assert "onnxruntime" in names and not names & TRAINING_STACK
    assert [r.extras for r in base if r.name == "automm-core"] == [set()]
    assert [r.extras for r in extras["export"] if r.name == "automm-core"] == [{"train"}]


def test_core_base_install_has_no_training_stack() -> None:
    base, extras = _requirements("automm-core")
    assert not {r.name.lower() for r in base} & TRAINING_STACK
    assert {r.name.lower() for r in extras["train"]} >= TRAINING_STACK


@pytest.mark.parametrize("package", ["automm-classify", "automm-match", "automm-detect", "automm-segment"])
def test_task_packages_require_the_training_stack(package: str) -> None:
    base, _ = _requirements(package)
    assert [r.extras for r in base if r.name == "automm-core"] == [{"train"}]


@pytest.mark.parametrize("package", ["automm-classify", "automm-match", "automm-detect", "automm-segment"])
def test_task_packages_declare_a_core_range(package: str) -> None:
    requires = distribution(package).requires or []
    core = [r for r in requires if r.startswith("automm-core")]
    assert core and "<" in core[0] and ">=" in core[0]


@pytest.mark.parametrize("package", ["automm-match", "automm-detect", "automm-segment"])
def test_task_package_does_not_need_classify(package: str) -> None:
    requires = " ".join(distribution(package).requires or [])
    assert "automm-classify" not in requires and "scikit-learn" not in requires


def test_no_build_artefacts_are_tracked() -> None:
    """An editable install writes *.egg-info; tracked, it would dirty every checkout."""
    root = Path(__file__).resolve().parents[1]
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    artefact = re.compile(r"(^|/)([^/]+\.egg-info|dist|build|__pycache__)/|\.py[co]$")
    assert [f for f in listed.stdout.split("\0") if artefact.search(f)] == []


# automm.core's public modules: what task packages may import (pyproject.toml's plugin-boundary contract).
PUBLIC_CORE_MODULES = {"plugin", "errors", "base", "vision", "testing"}


def test_the_plugin_boundary_covers_every_core_module() -> None:
    """Every module of automm.core is public or protected by the import-linter contract, so a new module is
    private to core until it is added to one list or the other."""
    import pkgutil

    import tomllib

    root = Path(__file__).resolve().parents[1]
    contracts = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    protected = {m.removeprefix("automm.core.") for c in contracts if c["id"] == "plugin-boundary"
                 for m in c["protected_modules"]}
    modules = {info.name for info in pkgutil.iter_modules(automm.core.__path__)}
    assert modules - protected - PUBLIC_CORE_MODULES == set()
    assert protected & PUBLIC_CORE_MODULES == set()


def test_the_plugin_module_exports_what_it_lists() -> None:
    """automm.core.plugin's names resolve, and importing it (as every task plug-in does) loads no torch."""
    import automm.core.plugin as plugin

    assert [name for name in plugin.__all__ if not hasattr(plugin, name)] == []
    assert _loaded_after("import automm.core.plugin", ("torch", "lightning", "transformers")) == []
