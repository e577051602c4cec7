"""docs/execute.py: tutorials run in their own kernels, the executed notebook keeps outputs and plots, and a failing
tutorial fails the run with its failing cell printed. Needs the docs tools (the `docs` nox session installs them)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("nbclient", reason="the docs tools are installed by `nox -s docs`")
pytest.importorskip("jupytext", reason="the docs tools are installed by `nox -s docs`")
pytest.importorskip("ipykernel", reason="the docs tools are installed by `nox -s docs`")
ROOT = Path(__file__).resolve().parent.parent


def _load():
    spec = importlib.util.spec_from_file_location("automm_docs_execute", ROOT / "docs" / "execute.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


execute = _load()
GOOD = '''# %% [markdown]
# # Good

# %%
# AutoGluon: multimodal-faq
import matplotlib.pyplot as plt
from pathlib import Path
print("cwd", Path.cwd().name)
plt.plot([0, 1], [1, 0])
plt.show()
'''
BAD = '''# %% [markdown]
# # Bad

# %%
x = 1

# %%
raise ValueError("the failing cell " + str(x))
'''


def test_outputs_and_plots_are_kept_and_a_failing_cell_fails_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture) -> None:
    import nbformat

    section = tmp_path / "tutorials" / "section"
    section.mkdir(parents=True)
    (section / "good.py").write_text(GOOD)
    (section / "bad.py").write_text(BAD)
    (section / "stale.ipynb").write_text("{}")
    monkeypatch.setattr(execute, "TUTORIALS", tmp_path / "tutorials")
    assert execute.main(["--timeout", "120"]) == 1
    printed = capsys.readouterr().out
    assert "2 tutorials, 1 failed" in printed
    assert 'raise ValueError("the failing cell " + str(x))' in printed and "the failing cell 1" in printed
    assert not (section / "stale.ipynb").exists() and not (section / "bad.ipynb").exists()
    notebook = nbformat.read(section / "good.ipynb", as_version=4)
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert any(o.get("text", "").strip() == f"cwd {ROOT.name}" for o in outputs)  # run from the repository root
    assert any("image/png" in o.get("data", {}) for o in outputs)
