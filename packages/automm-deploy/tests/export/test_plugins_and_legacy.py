"""Deploy dispatches through core's registry: a task package that registers its own decoder and exporter is exported
and run with no change to automm-deploy; exports of automm-deploy 0.2 (manifest format 2, no decoder spec) still
run, with the decoder their task JSON implies."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from automm.classify.classification import ClassificationTask
from automm.core.base.decoders import ClassesDecoder
from automm.core.base.registry import DECODERS, EXPORTERS, ExportedGraphs
from automm.deploy import export, load
from automm.deploy.errors import DeployError
from automm.deploy.manifest import MANIFEST_FILE, Manifest

LEGACY_CASES = ["text", "multilabel", "tabular", "matcher", "clip"]


class ShoutedClasses(ClassesDecoder):
    """A plug-in's decoder: the classes, upper-cased."""

    name = "test.shouted"

    def predict(self, outputs: np.ndarray, rows: pd.Index) -> pd.Series:
        return super().predict(outputs, rows).str.upper()


class ShoutingTask(ClassificationTask):
    """A plug-in's task: classification answered by its own decoder."""

    def decoder_spec(self) -> dict[str, Any]:
        return {"decoder": ShoutedClasses.name, "column": self.column, "classes": self.classes}

    def predict(self, logits: np.ndarray, index: pd.Index) -> pd.Series:
        return ShoutedClasses(self.column, self.classes).predict(logits, index)


@dataclasses.dataclass(frozen=True)
class PluggedSpec:
    """A plug-in's network kind (here: core's fused network under another name)."""

    kind = "test_plugged"
    inner: Any


def plugged_exporter(predictor: Any, folder: Path, opset: int, tools: Any) -> ExportedGraphs:
    """A plug-in's exporter, writing its graphs with the tools automm-deploy hands it."""
    return EXPORTERS.get("multimodal")(predictor, folder, opset, tools)


@pytest.fixture
def plugged() -> Any:
    DECODERS.register(ShoutedClasses.name)(ShoutedClasses)
    EXPORTERS.register(PluggedSpec.kind)(plugged_exporter)
    yield
    DECODERS.unregister(ShoutedClasses.name)
    EXPORTERS.unregister(PluggedSpec.kind)


def test_a_task_package_registers_its_decoder_and_exporter(plugged: None, fitted: dict, table: pd.DataFrame,
                                                           tmp_path: Path) -> None:
    state = fitted["text"].state
    task = ShoutingTask(state.task.problem_type, state.task.column, state.task.classes)
    predictor = SimpleNamespace(state=dataclasses.replace(state, task=task, network_spec=PluggedSpec(
        state.network_spec)))
    folder = export(predictor, tmp_path / "plugged")
    manifest = Manifest.read(folder)
    assert manifest.network_kind == "test_plugged" and manifest.decoder["decoder"] == "test.shouted"
    rows = table[["caption"]].iloc[100:]
    found = load(folder).predict(rows)
    expected = fitted["text"].predict(rows).str.upper()
    assert found.tolist() == expected.tolist() and set(found) <= {"HIGH", "LOW"}


def test_a_network_kind_no_package_exports_is_refused(fitted: dict, tmp_path: Path) -> None:
    state = fitted["text"].state
    predictor = SimpleNamespace(state=dataclasses.replace(state, network_spec=PluggedSpec(state.network_spec)))
    with pytest.raises(DeployError, match="Exporting a 'test_plugged' network .* not supported yet"):
        export(predictor, tmp_path / "refused")
    assert not (tmp_path / "refused").exists()


@pytest.mark.parametrize("name", LEGACY_CASES)
def test_exports_of_deploy_0_2_still_run(name: str, exported: dict, table: pd.DataFrame, pairs: pd.DataFrame,
                                         tmp_path: Path) -> None:
    old = tmp_path / "old"
    shutil.copytree(exported[name], old)
    data = json.loads((old / MANIFEST_FILE).read_text())
    spec = data.pop("decoder")
    data.pop("feed")
    data["format_version"] = 2
    (old / MANIFEST_FILE).write_text(json.dumps(data))
    assert Manifest.read(old).decoder == spec  # the legacy derivation gives the spec the task writes today
    rows = {"matcher": pairs.iloc[60:], "clip": table[["image", "caption"]].dropna().iloc[60:]}.get(
        name, table.iloc[100:])
    new, legacy = load(exported[name]), load(old)
    pd.testing.assert_frame_equal(pd.DataFrame(legacy.predict(rows)), pd.DataFrame(new.predict(rows)))
    if new.decoder.has_proba:
        pd.testing.assert_frame_equal(legacy.predict_proba(rows), new.predict_proba(rows))


def test_an_old_export_of_an_unknown_problem_type_says_how_to_export_again(exported: dict, tmp_path: Path) -> None:
    old = tmp_path / "old"
    shutil.copytree(exported["text"], old)
    data = json.loads((old / MANIFEST_FILE).read_text())
    data.update(format_version=2, problem_type="ranking")
    (old / MANIFEST_FILE).write_text(json.dumps(data))
    with pytest.raises(DeployError, match="automm-deploy export <predictor folder> <new folder>"):
        load(old)
