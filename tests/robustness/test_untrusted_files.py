"""Loading a predictor directory from someone else never runs code from it.

A directory may hold planted pickles (``__reduce__`` payloads that would create a marker file when unpickled),
links to files outside it, and edited JSON: ``load`` refuses or ignores them, and the marker never appears, after
``load`` nor after ``predict``. Resuming a killed fit reads its checkpoints with ``torch.load(weights_only=True)``
only. A predictor from a newer format version is refused with upgrade advice: covered by
``packages/automm-core/tests/test_bad_input.py::test_load_a_newer_format_is_refused_with_upgrade_advice`` and the
``format-version-999`` case of ``test_bad_input_fit.py``.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from automm.core import MultiModalPredictor, PredictorLoadError
from automm.core.testing.tiny_models import tiny_hyperparameters
from automm.core.training.checkpoint_io import latest_readable_checkpoint, read_lightning_weights


class Payload:
    """Unpickling this calls ``Path.touch(marker)``: any code path that unpickles it leaves the marker behind."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return Path.touch, (self.marker,)


def plant_pickle(file: Path, marker: Path) -> None:
    file.parent.mkdir(parents=True, exist_ok=True)
    if file.suffix == ".pkl":
        file.write_bytes(pickle.dumps(Payload(marker)))
    else:  # torch's zip format, as .pt / .bin / .ckpt files are
        torch.save({"state_dict": Payload(marker), "epoch": 0, "global_step": 1}, file)


# Python that creates the marker when imported, for files named by auto_map.
REMOTE_CODE = """
from pathlib import Path
Path({marker!r}).touch()
from transformers import PretrainedConfig, PreTrainedModel, PreTrainedTokenizerFast
class EvilConfig(PretrainedConfig):
    model_type = "evil"
class EvilModel(PreTrainedModel):
    config_class = EvilConfig
class EvilTokenizer(PreTrainedTokenizerFast):
    pass
"""


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    reviews = ["the food was very good", "bad taste and not good", "this is a great product", "terrible food"]
    return pd.DataFrame({"review": reviews * 6, "x": rng.normal(size=24), "colour": ["red", "blue", "green"] * 8,
                         "label": ["pos", "neg", "pos", "neg"] * 6})


@pytest.fixture(scope="module")
def fitted(table: pd.DataFrame, tiny_text_model: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> MultiModalPredictor:
    hp = tiny_hyperparameters(tiny_text_model, **{"optim.max_epochs": 1, "optim.top_k": 1})
    path = tmp_path_factory.mktemp("untrusted") / "predictor"
    return MultiModalPredictor(label="label", path=path, hyperparameters=hp).fit(table)


@pytest.fixture
def copy(fitted: MultiModalPredictor, tmp_path: Path) -> Path:
    """A fresh copy of the fitted predictor's directory, to tamper with."""
    return Path(shutil.copytree(fitted.path, tmp_path / "copy"))


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "code_was_executed"


def _load_and_predict_like(folder: Path, fitted: MultiModalPredictor, rows: pd.DataFrame, marker: Path) -> None:
    loaded = MultiModalPredictor.load(folder)
    assert not marker.exists(), "load() ran code from the directory"
    pd.testing.assert_frame_equal(loaded.predict_proba(rows), fitted.predict_proba(rows))
    assert not marker.exists(), "predict() ran code from the directory"


def _load_is_refused(folder: Path, marker: Path, match: str) -> None:
    with pytest.raises(PredictorLoadError, match=match):
        MultiModalPredictor.load(folder)
    assert not marker.exists(), "load() ran code from the directory"


# ---------------------------------------------------------------- planted pickles
def test_the_planted_pickles_are_live(tmp_path: Path, marker: Path) -> None:
    """The bait works: unpickling it the unsafe way does create the marker (so the tests below mean something)."""
    plant_pickle(tmp_path / "model.pkl", marker)
    pickle.loads((tmp_path / "model.pkl").read_bytes())
    assert marker.exists()
    marker.unlink()
    plant_pickle(tmp_path / "last.ckpt", marker)
    torch.load(tmp_path / "last.ckpt", weights_only=False)
    assert marker.exists()


PLANTED = ["model.pkl", "model.pt", "last.ckpt", "pytorch_model.bin", "text_backbone/pytorch_model.bin",
           "text_backbone/training_args.bin", "text_backbone/model.pkl"]


@pytest.mark.parametrize("name", PLANTED)
def test_planted_pickles_are_ignored(copy: Path, fitted: MultiModalPredictor, table: pd.DataFrame, marker: Path,
                                     name: str) -> None:
    plant_pickle(copy / name, marker)
    _load_and_predict_like(copy, fitted, table, marker)


@pytest.mark.parametrize("name", ["pytorch_model.bin", "model.pt"])
def test_a_pickle_in_place_of_the_weights_is_refused(copy: Path, marker: Path, name: str) -> None:
    (copy / "model.safetensors").unlink()
    plant_pickle(copy / name, marker)
    _load_is_refused(copy, marker, r"not a complete predictor: model\.safetensors is missing")


def test_a_pickle_renamed_to_safetensors_is_refused(copy: Path, marker: Path) -> None:
    plant_pickle(copy / "model.safetensors", marker)
    _load_is_refused(copy, marker, r"model\.safetensors in '.*' is damaged or was edited")


# ---------------------------------------------------------------- links
@pytest.mark.parametrize("name", ["model.safetensors", "predictor.json", "processors.json", "network.json",
                                  "text_backbone", "text_backbone/config.json", "text_backbone/tokenizer.json"])
def test_links_to_outside_files_are_refused(copy: Path, tmp_path: Path, marker: Path, name: str) -> None:
    outside = tmp_path / "outside" / Path(name).name
    outside.parent.mkdir()
    shutil.move(copy / name, outside)  # the real content, so only the link itself can be the reason
    (copy / name).symlink_to(outside, target_is_directory=outside.is_dir())
    _load_is_refused(copy, marker, "link")


def test_a_link_to_a_file_inside_is_refused_too(copy: Path, marker: Path) -> None:
    (copy / "model.safetensors").rename(copy / "weights")
    (copy / "model.safetensors").symlink_to("weights")
    _load_is_refused(copy, marker, "link")


# ---------------------------------------------------------------- edited JSON
def _edit(file: Path, change: Callable[[dict], None]) -> None:
    data = json.loads(file.read_text())
    change(data)
    file.write_text(json.dumps(data))


def _custom_model_code(folder: Path, marker: Path) -> None:
    """config.json of an architecture transformers does not ship, with auto_map naming code in the folder."""
    text = folder / "text_backbone"
    _edit(text / "config.json", lambda c: c.update(
        model_type="evil", trust_remote_code=True,
        auto_map={"AutoConfig": "configuration_evil.EvilConfig", "AutoModel": "modeling_evil.EvilModel"}))
    for module in ("configuration_evil", "modeling_evil"):
        (text / f"{module}.py").write_text(REMOTE_CODE.format(marker=str(marker)))


def _custom_tokenizer_code(folder: Path, marker: Path) -> None:
    text = folder / "text_backbone"
    _edit(text / "tokenizer_config.json", lambda c: c.update(
        tokenizer_class="EvilTokenizer", trust_remote_code=True,
        auto_map={"AutoTokenizer": ["tokenization_evil.EvilTokenizer", "tokenization_evil.EvilTokenizer"]}))
    (text / "tokenization_evil.py").write_text(REMOTE_CODE.format(marker=str(marker)))


def test_config_naming_custom_model_code_is_refused(copy: Path, marker: Path) -> None:
    _custom_model_code(copy, marker)
    _load_is_refused(copy, marker, r"names model_type 'evil', which is not an architecture built into transformers")


def test_auto_map_beside_a_builtin_architecture_is_ignored(copy: Path, fitted: MultiModalPredictor,
                                                           table: pd.DataFrame, marker: Path) -> None:
    _edit(copy / "text_backbone" / "config.json", lambda c: c.update(
        trust_remote_code=True, auto_map={"AutoConfig": "configuration_evil.EvilConfig",
                                          "AutoModel": "modeling_evil.EvilModel"}))
    for module in ("configuration_evil", "modeling_evil"):
        (copy / "text_backbone" / f"{module}.py").write_text(REMOTE_CODE.format(marker=str(marker)))
    _load_and_predict_like(copy, fitted, table, marker)


def test_tokenizer_naming_custom_code_is_not_run(copy: Path, table: pd.DataFrame, marker: Path) -> None:
    _custom_tokenizer_code(copy, marker)
    with contextlib.suppress(PredictorLoadError):  # refusing is fine (transformers 5 ignores it); running it is not
        MultiModalPredictor.load(copy).predict(table)
    assert not marker.exists()


@pytest.mark.skipif(sys.platform == "win32", reason="transformers' prompt uses SIGALRM")
def test_no_custom_code_even_when_the_user_answers_yes(fitted: MultiModalPredictor, tmp_path: Path,
                                                       marker: Path) -> None:
    """transformers asks "Do you wish to run the custom code? [y/N]" on the terminal for an unknown architecture;
    load must never get that far. Here the answer "y" is waiting on stdin."""
    folders = []
    for name, tamper in (("model_code", _custom_model_code), ("tokenizer_code", _custom_tokenizer_code)):
        folders.append(str(shutil.copytree(fitted.path, tmp_path / name)))
        tamper(tmp_path / name, marker)
    script = ("import sys\nfrom automm.core import MultiModalPredictor\nfor folder in sys.argv[1:]:\n"
              "    try:\n        MultiModalPredictor.load(folder)\n    except Exception as err:\n"
              "        print(type(err).__name__, err)\n")
    result = subprocess.run([sys.executable, "-c", script, *folders], input="y\n" * 10, capture_output=True,
                            text=True, timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert not marker.exists(), "code from the directory ran after a 'y' on stdin:\n" + result.stdout
    assert "custom code" not in result.stdout + result.stderr  # and nobody was asked


@pytest.mark.parametrize(("change", "problem"), [
    (lambda d: d["numerical"].update(means="0.5"), r"numerical\.means must be a list of 1 finite numbers"),
    (lambda d: d["numerical"].update(stds=[0.0]), r"numerical\.stds must be positive"),
    (lambda d: d["numerical"].update(columns=["x", "review"]), r"numerical\.medians must be a list of 2"),
    (lambda d: d["numerical"].update(columns=[7]), r"numerical\.columns must be a list of strings"),
    (lambda d: d["categorical"].update(vocabularies={"red": 1}), r"categorical\.vocabularies must be a list"),
    (lambda d: d["text"].update(max_length="32"), r"text\.max_length must be an integer >= 8"),
    (lambda d: d["text"].update(columns="review"), r"text\.columns must be a list of strings"),
    (lambda d: d.update(augment_images="no"), r"augment_images must be true or false"),
    (lambda d: d.update(numerical=None), r"does not describe the inputs of network\.json"),
    (lambda d: d["categorical"].update(columns=["label"]), r"reads columns \['label'\] that predictor\.json does not"),
    (lambda d: d.update(image={"columns": ["review"], "kinds": ["image_path"], "size": "big", "mean": [0.5] * 3,
                               "std": [0.5] * 3}), r"image\.size must be an integer >= 1"),
], ids=["means-a-string", "zero-std", "extra-column", "column-not-a-string", "vocabularies-a-dict",
        "max-length-a-string", "text-columns-a-string", "augment-a-string", "numerical-dropped", "label-as-feature",
        "image-size-a-string"])
def test_processors_json_with_wrong_types_is_refused(copy: Path, marker: Path, change: Callable[[dict], None],
                                                     problem: str) -> None:
    _edit(copy / "processors.json", change)
    _load_is_refused(copy, marker, r"processors\.json in '.*' is damaged or was edited .*" + problem)


@pytest.mark.parametrize("change", [
    lambda d: d["tabular"].update(model="os.system"),
    lambda d: d["fusion"].update(model="builtins.exec"),
    lambda d: d["tabular"].update(hidden_size="32"),
], ids=["tabular-model-a-callable-name", "fusion-model-a-callable-name", "hidden-size-a-string"])
def test_network_json_naming_other_code_is_refused(copy: Path, marker: Path, change: Callable[[dict], None]) -> None:
    _edit(copy / "network.json", change)
    _load_is_refused(copy, marker, r"network\.json in '.*' is damaged or was edited")


# ---------------------------------------------------------------- resuming a killed fit
def test_resume_never_unpickles_planted_checkpoints(fitted: MultiModalPredictor, table: pd.DataFrame,
                                                    tmp_path: Path, marker: Path) -> None:
    """A killed fit's folder whose checkpoints are malicious pickles: resume reads them with weights_only=True,
    finds none usable, and the fit starts again from the saved start without running them."""
    path = tmp_path / "killed"
    fitted.save(path / "training" / "predictor")  # the start-of-fit copy a killed fit leaves behind
    checkpoints = path / "training" / "checkpoints"
    for name in ("last.ckpt", "epoch=0-step=3.ckpt"):
        plant_pickle(checkpoints / name, marker)
    (checkpoints / "linked.ckpt").symlink_to(tmp_path / "elsewhere.ckpt")
    plant_pickle(tmp_path / "elsewhere.ckpt", marker)

    for planted in checkpoints.glob("*.ckpt"):
        with pytest.raises(PredictorLoadError, match="damaged or unsafe"):
            read_lightning_weights(planted)
    assert latest_readable_checkpoint(checkpoints) is None
    assert not marker.exists()

    resumed = MultiModalPredictor.load(path, resume=True)
    assert resumed._resume_checkpoint is None and not marker.exists()
    resumed.fit(table)
    assert not marker.exists()
    assert MultiModalPredictor.load(path).predict(table).index.equals(table.index)
    assert not marker.exists()
