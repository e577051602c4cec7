"""The predictor contract every task package passes: fit -> predict -> save -> load -> same predictions.

A task package subclasses :class:`PredictorContract` in its tests and provides a small table::

    class TestClassifyContract(PredictorContract):
        problem_type = "multiclass"

        @pytest.fixture(scope="class")
        def table(self): return my_small_table()
"""

from __future__ import annotations

import io
import os
import pickletools
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ..config import check_applicable
from ..discovery import task_class
from ..errors import ConfigError
from ..tasks import Task
from .tiny_models import make_tiny_text_model, tiny_hyperparameters

PICKLE_SUFFIXES = (".pkl", ".pickle", ".pt", ".pth", ".ckpt", ".bin", ".joblib")
# Capability flag -> the hook core calls when it is set.
CAPABILITIES = {"calibrates": "calibrate", "fits_directly": "fit_directly"}


def applicable(task: type[Task], hyperparameters: dict) -> dict:
    """``hyperparameters`` without the core keys ``task`` does not read (shared tiny settings cover every task)."""
    kept = {}
    for key, value in hyperparameters.items():
        try:
            check_applicable({key: value}, task.config_sections, task.config_hints, task.__name__)
        except ConfigError:
            continue
        kept[key] = value
    return kept


def is_pickle(data: bytes) -> bool:
    """Whether ``data`` is a pickle of any protocol (0-5) or a ``torch.save`` file, whatever its name.

    Protocols 2-5 open with the PROTO opcode; protocols 0 and 1 have no header, so the whole stream must parse
    as pickle opcodes ending in STOP; ``torch.save`` writes a zip archive holding ``data.pkl``.
    """
    if data[:1] == b"\x80" and data[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return True
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(name.endswith(".pkl") for name in archive.namelist())
    try:
        *_, (opcode, _, position) = pickletools.genops(data)
    except Exception:  # not a pickle stream: an unknown opcode, a bad argument, or no STOP
        return False
    return opcode.name == "STOP" and position == len(data) - 1


class PredictorContract:
    """Subclass and provide ``problem_type``, ``label`` and a ``table`` fixture (a DataFrame).

    Matching tasks also set ``task_arguments`` (``{"query": ..., "response": ...}``) and the
    ``signature`` whose embeddings the tests compare.
    """

    problem_type: str
    label: str | list[str] | None = "label"
    extra_hyperparameters: dict = {}
    task_arguments: dict = {}
    signature: str | None = None

    @pytest.fixture(scope="class")
    def table(self) -> pd.DataFrame:
        raise NotImplementedError("provide a small DataFrame with features and the label column(s)")

    @pytest.fixture(scope="class")
    def fitted(self, table: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory):
        from automm.core import MultiModalPredictor

        root = tmp_path_factory.mktemp("contract")
        text_model = make_tiny_text_model(root / "tiny_text")
        hyperparameters = applicable(task_class(self.problem_type),
                                     tiny_hyperparameters(text_model, **self.extra_hyperparameters))
        predictor = MultiModalPredictor(label=self.label, problem_type=self.problem_type, path=root / "predictor",
                                        hyperparameters=hyperparameters, **self.task_arguments)
        predictor.fit(table, seed=0)
        return predictor

    def test_problem_type(self, fitted) -> None:
        assert fitted.problem_type == self.problem_type

    def test_declared_capabilities_are_implemented(self) -> None:
        """Each capability flag has its hook, and no hook is left without its flag (core calls hooks by flag)."""
        task = task_class(self.problem_type)
        for flag, hook in CAPABILITIES.items():
            overridden = getattr(task, hook) is not getattr(Task, hook)
            assert getattr(task, flag) == overridden, f"{task.__name__}.{flag} is {getattr(task, flag)} but " \
                f"{hook} is {'' if overridden else 'not '}defined"
        if task.has_proba:
            assert task.predict_proba is not Task.predict_proba, f"{task.__name__} sets has_proba: define predict_proba"

    def test_inapplicable_setting_is_refused(self) -> None:
        """A core key outside the task's ``config_sections`` is refused, naming the task key when there is one."""
        task = task_class(self.problem_type)
        for key, instead in task.config_hints.items():
            with pytest.raises(ConfigError, match=instead.replace(".", r"\.")):
                check_applicable({key: 1}, task.config_sections, task.config_hints, self.problem_type)

    def test_predict_shape_and_index(self, fitted, table: pd.DataFrame) -> None:
        rows = table.sample(7, random_state=1)
        predictions = fitted.predict(rows)
        assert len(predictions) == 7
        assert list(predictions.index) == list(rows.index)

    def test_evaluate_returns_finite_scores(self, fitted, table: pd.DataFrame) -> None:
        scores = fitted.evaluate(table)
        assert scores and all(isinstance(v, float) for v in scores.values())
        assert any(np.isfinite(v) for v in scores.values())

    def test_embeddings(self, fitted, table: pd.DataFrame) -> None:
        if not fitted.state.task.has_embeddings:
            with pytest.raises(ConfigError, match="no row embeddings"):
                fitted.extract_embedding(table.head(5), signature=self.signature)
            return
        embeddings = fitted.extract_embedding(table.head(5), signature=self.signature)
        assert embeddings.shape[0] == 5 and embeddings.ndim == 2 and np.isfinite(embeddings).all()

    def test_predict_proba_or_clear_refusal(self, fitted, table: pd.DataFrame) -> None:
        if fitted.state.task.has_proba:
            return  # compared after reloading below
        with pytest.raises(ConfigError, match="no class probabilities"):
            fitted.predict_proba(table.head(3))

    def test_zero_rows(self, fitted, table: pd.DataFrame) -> None:
        assert len(fitted.predict(table.head(0))) == 0

    def test_save_has_no_pickle(self, fitted) -> None:
        files = [p for p in Path(fitted.path).rglob("*") if p.is_file()]
        assert any(p.name == "model.safetensors" for p in files)
        assert not [p for p in files if p.suffix in PICKLE_SUFFIXES]
        assert not [p for p in files if is_pickle(p.read_bytes())]  # none hidden under another name either

    def test_reload_in_new_process_gives_identical_predictions(self, fitted, table: pd.DataFrame,
                                                                tmp_path: Path) -> None:
        table.to_pickle(tmp_path / "rows.pkl")  # test data only, not part of the predictor
        embeds = fitted.state.task.has_embeddings
        call = f"extract_embedding(rows, signature={self.signature!r})" if embeds else "predict(rows).to_json()"
        script = (
            "import sys, numpy as np, pandas as pd\n"
            "from automm.core import MultiModalPredictor\n"
            "p = MultiModalPredictor.load(sys.argv[1])\n"
            "rows = pd.read_pickle(sys.argv[2])\n"
            f"np.save(sys.argv[3], np.asarray(p.{call}))\n"
        )
        # PYTHONPATH kept: the new process must import the same sources as this one (a source checkout, say).
        env = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PATH": "", "HOME": str(tmp_path),
               "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
        subprocess.run([sys.executable, "-c", script, str(fitted.path), str(tmp_path / "rows.pkl"),
                        str(tmp_path / "out.npy")], check=True, env=env, timeout=300)
        expected = (fitted.extract_embedding(table, signature=self.signature) if embeds
                    else np.asarray(fitted.predict(table).to_json()))
        np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), expected)
        if fitted.state.task.has_proba:
            from automm.core import MultiModalPredictor

            reloaded = MultiModalPredictor.load(fitted.path)
            again, expected = reloaded.predict_proba(table), fitted.predict_proba(table)
            if isinstance(expected, pd.Series):  # one value per row (NER: its tokens' tag probabilities)
                again, expected = again.to_frame(), expected.to_frame()
            assert list(again.columns) == list(expected.columns) and again.index.equals(expected.index)
            for column in expected.columns:  # cells may be arrays (per-pixel probabilities)
                for got, want in zip(again[column], expected[column]):
                    np.testing.assert_array_equal(got, want)
