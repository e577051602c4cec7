"""A NER predictor cannot be exported yet: the CLI says so in one line, before writing anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from automm.classify.ner.testing import ner_table
from automm.core import MultiModalPredictor
from automm.core.testing.tiny_models import tiny_hyperparameters
from automm.deploy.cli import main


def test_exporting_a_ner_predictor_says_not_supported_yet(tiny_text_model: Path, tmp_path: Path, capsys) -> None:
    saved = tmp_path / "ner"
    MultiModalPredictor(problem_type="ner", label="entity_annotations", path=saved, verbosity=0,
                        hyperparameters=tiny_hyperparameters(tiny_text_model, **{"optim.max_epochs": 1})
                        ).fit(ner_table(16))
    with pytest.raises(SystemExit) as exited:
        main(["export", str(saved), str(tmp_path / "out")])
    assert exited.value.code == 2
    assert "Exporting a 'ner' network (ner) is not supported yet" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
