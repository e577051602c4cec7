"""What a new user gets wrong with ``automm-deploy export``: one clear line from the CLI, and no file of theirs lost."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from automm.core import discovery
from automm.deploy import export, load
from automm.deploy.cli import main
from automm.deploy.errors import DeployError

SAVED = Path(__file__).parents[4] / "tests" / "compat" / "format6" / "regression"  # a small saved MLP regressor


@pytest.fixture()
def predictor(tmp_path: Path) -> Path:
    """A copy of a saved predictor the test may edit."""
    return Path(shutil.copytree(SAVED / "predictor", tmp_path / "predictor"))


def _edit_meta(folder: Path, **values: object) -> None:
    file = folder / "predictor.json"
    file.write_text(json.dumps({**json.loads(file.read_text()), **values}))


def _no_task_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if no task package were installed: core discovers no entry point."""
    monkeypatch.setattr(discovery, "entry_points", lambda group: [])
    discovery.discover.cache_clear()


def _not_a_predictor(folder: Path) -> Path:
    (folder / "notes").mkdir()
    (folder / "notes" / "todo.txt").write_text("not a predictor")
    return folder / "notes"


def _empty(folder: Path) -> Path:
    (folder / "empty").mkdir()
    return folder / "empty"


def _newer(saved: Path) -> Path:
    _edit_meta(saved, format_version=99)
    return saved


def _a_file(folder: Path) -> Path:
    (folder / "model.txt").write_text("not a predictor")
    return folder / "model.txt"


CASES: dict[str, tuple[Callable[..., Path], str]] = {  # name -> (the predictor argument, words of the fix)
    "a folder of other files": (lambda tmp, saved: _not_a_predictor(tmp), "Pass the directory that fit() or save()"),
    "an empty folder": (lambda tmp, saved: _empty(tmp), "Pass the directory that fit() or save()"),
    "a file": (lambda tmp, saved: _a_file(tmp), "pass the folder the predictor was saved to"),
    "a newer format": (lambda tmp, saved: _newer(saved), "pip install -U automm-core"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_export_of_no_predictor_is_one_line_with_the_fix(case: str, predictor: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture) -> None:
    make, words = CASES[case]
    _exits_with_one_line(["export", str(make(tmp_path, predictor)), str(tmp_path / "out")], words, capsys)
    assert not (tmp_path / "out").exists()


def test_export_without_the_task_package_names_it(predictor: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture) -> None:
    _no_task_packages(monkeypatch)
    try:
        _exits_with_one_line(["export", str(predictor), str(tmp_path / "out")], "pip install automm-classify", capsys)
    finally:
        discovery.discover.cache_clear()


def test_an_unwritable_output_path_is_one_line(predictor: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "taken").write_text("a file where the output's parent folder should be")
    _exits_with_one_line(["export", str(predictor), str(tmp_path / "taken" / "out")], "taken", capsys)


def test_predict_and_serve_errors_are_one_line(predictor: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text("sepal_length\n1.0\n")
    _exits_with_one_line(["predict", str(predictor), str(rows)], "run `automm-deploy export` on it first", capsys)
    _exits_with_one_line(["serve", str(predictor)], "run `automm-deploy export` on it first", capsys)


def test_reexport_keeps_a_folder_with_files_of_the_user(predictor: Path, tmp_path: Path) -> None:
    out = export(predictor, tmp_path / "out")
    written = sorted(p.name for p in out.iterdir())
    (out / "notes.md").write_text("my notes")
    with pytest.raises(DeployError, match=r"holds files an export does not write: \['notes.md'\]"):
        export(predictor, out)
    assert (out / "notes.md").read_text() == "my notes"
    assert sorted(p.name for p in out.iterdir()) == sorted([*written, "notes.md"])
    (out / "notes.md").unlink()
    (out / "manifest.json").write_text("{")  # a damaged export: its own files cannot be told from others
    with pytest.raises(DeployError, match="cannot be read"):
        export(predictor, out)
    shutil.rmtree(out)
    assert export(predictor, out) == out
    assert export(predictor, out) == out  # an export of nothing but its own files is replaced
    assert sorted(p.name for p in out.iterdir()) == written
    rows = pd.DataFrame(json.loads((SAVED / "rows.json").read_text()))
    assert len(load(out).predict(rows)) == len(rows)


def _exits_with_one_line(argv: list[str], words: str, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    message = capsys.readouterr().err
    assert exited.value.code == 2, message
    assert message.startswith("automm-deploy: error: ") and message.count("\n") == 1, message
    assert words in message, message
