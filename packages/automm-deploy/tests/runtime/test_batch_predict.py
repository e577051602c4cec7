"""Batch prediction (``automm-deploy predict`` / ``automm.deploy.batch``) on the exports nox's deploy session
made: chunked CSV, Parquet and image-folder input gives the in-process runtime's answers row for row, and a
killed run resumes without redoing its finished chunks."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automm.deploy.batch import predict_file
from automm.deploy.cli import main
from automm.deploy.errors import InputError
from automm.deploy.runtime import load

ARTEFACTS = os.environ.get("AUTOMM_DEPLOY_ARTEFACTS")
pytestmark = pytest.mark.skipif(not ARTEFACTS, reason="AUTOMM_DEPLOY_ARTEFACTS names no exports (nox -s deploy "
                                "makes them)")
CHUNK = 7


def _case(name: str, copies: int = 3) -> tuple[Path, pd.DataFrame]:
    """The export of case ``name`` and its test rows repeated ``copies`` times, with an "id" column."""
    case = Path(ARTEFACTS or ".") / name
    rows = pd.read_json(case / "rows.json", orient="split")
    rows = pd.concat([rows] * copies, ignore_index=True)
    return case / "export", rows.assign(id=[f"row{i}" for i in range(len(rows))])


def _write(rows: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".parquet":
        pytest.importorskip("pyarrow")
        rows.to_parquet(path, index=False)
    else:
        rows.to_csv(path, index=False)
    return path


def _read(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


@pytest.mark.parametrize(("source", "target"), [(".csv", ".csv"), (".csv", ".parquet"), (".parquet", ".csv"),
                                                (".parquet", ".parquet")])
def test_chunks_answer_as_the_runtime_row_for_row(source: str, target: str, tmp_path: Path) -> None:
    export, rows = _case("text")
    table = _write(rows, tmp_path / f"rows{source}")
    result = predict_file(export, table, tmp_path / f"out{target}", chunk_rows=CHUNK, proba=True, keep=["id"],
                          progress=False)
    assert (result.rows, result.chunks, result.skipped) == (len(rows), -(-len(rows) // CHUNK), 0)
    assert not (tmp_path / f"out{target}.parts").exists()
    found = _read(result.output)
    expected = load(export).predict_proba(rows)
    assert list(found.columns) == ["id", *map(str, expected.columns)]
    assert found["id"].tolist() == rows["id"].tolist()
    np.testing.assert_allclose(found.iloc[:, 1:].to_numpy(), expected.to_numpy(), atol=1e-6, rtol=0)


def test_labels_and_regression_values_as_the_runtime_on_the_whole_file(tmp_path: Path) -> None:
    """A chunk reads its cells as the whole file reads them: the tabular rows' "colour" column mixes words and
    3.0, which a chunk of numbers alone would read as floats (another category)."""
    for name in ("text", "tabular"):
        export, rows = _case(name)
        table = _write(rows, tmp_path / f"{name}.csv")
        result = predict_file(export, table, tmp_path / f"{name}.out.csv", chunk_rows=2, progress=False)
        expected = load(export).predict(pd.read_csv(table))
        found = _read(result.output)
        assert list(found.columns) == [expected.name]
        if name == "tabular":
            np.testing.assert_allclose(found[expected.name].to_numpy(), expected.to_numpy(), rtol=1e-6)
        else:
            assert found[expected.name].astype(str).tolist() == expected.astype(str).tolist()


def test_a_killed_run_resumes_without_redoing_finished_chunks(tmp_path: Path) -> None:
    export, rows = _case("text")
    table = _write(rows, tmp_path / "rows.csv")
    output = tmp_path / "out.csv"

    def killed_after_two(number: int) -> None:
        if number == 1:
            raise KeyboardInterrupt  # what Ctrl-C does, after the second part is durable

    with pytest.raises(KeyboardInterrupt):
        predict_file(export, table, output, chunk_rows=CHUNK, keep=["id"], progress=False, on_part=killed_after_two)
    parts = tmp_path / "out.csv.parts"
    assert sorted(p.name for p in parts.iterdir()) == ["part-000000.csv", "part-000001.csv", "progress.json"]
    assert not output.exists()
    done: list[int] = []
    result = predict_file(export, table, output, chunk_rows=CHUNK, keep=["id"], progress=False, on_part=done.append)
    assert result.skipped == 2 and done == list(range(2, result.chunks))
    clean = predict_file(export, table, tmp_path / "clean.csv", chunk_rows=CHUNK, keep=["id"], progress=False)
    assert output.read_bytes() == clean.output.read_bytes()
    assert _read(output)["id"].tolist() == rows["id"].tolist()


def test_a_sigkilled_command_resumes_from_its_durable_parts(tmp_path: Path) -> None:
    """``automm-deploy predict`` in a child process, SIGKILLed once its first part is on disk; the rerun skips
    exactly the parts the kill left and writes what an uninterrupted run writes."""
    export, rows = _case("text", copies=40)
    table = _write(rows, tmp_path / "rows.csv")
    output, parts = tmp_path / "out.csv", tmp_path / "out.csv.parts"
    command = [sys.executable, "-m", "automm.deploy.cli", "predict", str(export), str(table), str(output),
               "--chunk-rows", "4", "--keep", "id", "--no-progress"]
    child = subprocess.Popen(command)
    try:
        while not list(parts.glob("part-*.csv")) and child.poll() is None:
            time.sleep(0.005)
    finally:
        child.kill()
        child.wait()
    left = len(list(parts.glob("part-*.csv")))
    assert left >= 1 and not output.exists()
    result = predict_file(export, table, output, chunk_rows=4, keep=["id"], progress=False)
    assert result.skipped == left and result.chunks == -(-len(rows) // 4)
    clean = predict_file(export, table, tmp_path / "clean.csv", chunk_rows=4, keep=["id"], progress=False)
    assert output.read_bytes() == clean.output.read_bytes()


def test_a_rerun_with_other_settings_is_refused_until_restart(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    export, rows = _case("text")
    table = _write(rows, tmp_path / "rows.csv")
    output = tmp_path / "out.csv"
    with pytest.raises(KeyboardInterrupt):
        predict_file(export, table, output, chunk_rows=CHUNK, progress=False, on_part=_interrupt)
    with pytest.raises(InputError, match=r"chunk_rows\): pass --restart"):
        predict_file(export, table, output, chunk_rows=CHUNK + 1, progress=False)
    _write(rows.iloc[::-1], table)  # the same file name, other rows
    command = ["predict", str(export), str(table), str(output), "--chunk-rows", str(CHUNK), "--no-progress"]
    with pytest.raises(SystemExit) as exit_:
        main(command)
    error = capsys.readouterr().err
    assert exit_.value.code == 2 and error.count("\n") == 1 and "input_fingerprint" in error and "--restart" in error
    assert main([*command, "--restart"]) == 0
    assert _read(output)["label"].astype(str).tolist() == load(export).predict(rows.iloc[::-1]).astype(str).tolist()


def test_a_run_that_failed_before_its_first_part_does_not_block_the_next(tmp_path: Path) -> None:
    export, rows = _case("text")
    table = _write(rows, tmp_path / "rows.csv")
    with pytest.raises(InputError, match=r"--keep names column\(s\) \['nope'\]"):
        predict_file(export, table, tmp_path / "out.csv", keep=["nope"], progress=False)
    result = predict_file(export, table, tmp_path / "out.csv", keep=["id"], progress=False)
    assert _read(result.output)["id"].tolist() == rows["id"].tolist()


def _interrupt(number: int) -> None:
    raise KeyboardInterrupt


def test_a_folder_of_images_is_one_row_per_image(tmp_path: Path) -> None:
    export, _ = _case("image")
    folder = Path(ARTEFACTS or ".") / "image" / "images"
    images = sorted(str(p) for p in folder.iterdir())
    result = predict_file(export, folder, tmp_path / "out.csv", chunk_rows=CHUNK, progress=False)
    found = _read(result.output)
    expected = load(export).predict(pd.DataFrame({"image": images}))
    assert found["image"].tolist() == images
    assert found[expected.name].tolist() == expected.tolist()
    text_export, _ = _case("text")
    with pytest.raises(InputError, match=r"folder of images, but this export reads columns \['caption'\]"):
        predict_file(text_export, folder, tmp_path / "refused.csv", progress=False)


def test_the_cli_keeps_the_old_output_option_and_stdout(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    export, rows = _case("tabular", copies=1)
    table = _write(rows, tmp_path / "rows.csv")
    assert main(["predict", str(export), str(table), "--output", str(tmp_path / "old.csv"), "--no-progress"]) == 0
    assert main(["predict", str(export), str(table), "--keep", "id", "--chunk-rows", "3", "--no-progress"]) == 0
    printed = pd.read_csv(io.StringIO(capsys.readouterr().out))
    expected = load(export).predict(pd.read_csv(table))
    assert printed["id"].tolist() == rows["id"].tolist()
    np.testing.assert_allclose(printed[expected.name].to_numpy(), expected.to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(_read(tmp_path / "old.csv")[expected.name].to_numpy(), expected.to_numpy(), rtol=1e-6)


def test_stdout_closed_early_ends_quietly(tmp_path: Path) -> None:
    """``automm-deploy predict EXPORT rows.csv | head -1``: the reader stops after one line; the command stops
    without a traceback."""
    export, rows = _case("tabular", copies=200)
    table = _write(rows, tmp_path / "rows.csv")
    child = subprocess.Popen([sys.executable, "-m", "automm.deploy.cli", "predict", str(export), str(table),
                              "--chunk-rows", "5", "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None
    assert child.stdout.readline()  # the header
    child.stdout.close()
    error = child.stderr.read().decode()
    assert child.wait(timeout=120) == 1 and "Traceback" not in error, error


@pytest.mark.parametrize(("name", "content"), [("bad.csv", b"a,b\n1,2\n3,4,5,6\n"), ("empty.csv", b""),
                                               ("bad.parquet", b"PAR1 not parquet")])
def test_an_unparsable_table_is_one_line_naming_the_file(name: str, content: bytes, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture) -> None:
    export, _ = _case("tabular", copies=1)
    (tmp_path / name).write_bytes(content)
    with pytest.raises(SystemExit) as stopped:
        main(["predict", str(export), str(tmp_path / name), str(tmp_path / "out.csv"), "--no-progress"])
    error = capsys.readouterr().err
    assert stopped.value.code == 2 and error.count("\n") == 1 and f"Cannot read {str(tmp_path / name)!r}" in error


def test_ray_data_without_ray_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runtime-only environment has no Ray; where Ray is installed, its import is made to fail the same way."""
    from automm.deploy import ray_data
    from automm.deploy.errors import DeployError

    monkeypatch.setitem(sys.modules, "ray.data", None)
    with pytest.raises(DeployError, match=r"pip install 'automm-deploy\[ray\]'"):
        ray_data.predict(pd.DataFrame({"caption": ["a"]}), _case("text")[0])
