"""Fixtures with the training stack: a small real table (digit images, captions, numbers, categories) and one
tiny fitted predictor per kind of input, each exported once."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.datasets import load_digits

from automm.core import MultiModalPredictor
from automm.core.testing import fixtures
from automm.core.testing.tiny_models import make_tiny_clip_model, tiny_hyperparameters

tiny_text_model = fixtures.tiny_text_model

CAPTIONS = ["one two three", "good great big", "the red cat", "a small dog and a blue one"]

# case -> (feature columns, label column(s), column types); every case is fitted on TABLE's first 100 rows.
CASES = {
    "text": (["caption"], ["label"], {"caption": "text"}),
    "image": (["image"], ["digit"], {}),
    "tabular": (["ink", "colour"], ["value"], {"colour": "categorical"}),
    "multimodal": (["image", "caption", "ink", "colour"], ["label"], {"caption": "text", "colour": "categorical"}),
    "multilabel": (["caption", "ink"], ["high", "even"], {"caption": "text"}),
}


@pytest.fixture(scope="session")
def table(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """140 real 8x8 digits (scikit-learn) as PNGs of varied size and mode, a caption that hints at the digit, its
    mean ink, a colour category; some cells missing. Labels: digit >= 5 ("high" / "low"), the digit itself (three
    classes), a noisy number, and two 0/1 columns."""
    folder = tmp_path_factory.mktemp("digits")
    digits = load_digits()
    keep = np.flatnonzero(np.isin(digits.target, [0, 5, 7]))[:140]
    rng = np.random.default_rng(0)
    rows = []
    for n, i in enumerate(keep):
        pixels = (digits.images[i] * 255 / 16).astype(np.uint8)
        image = Image.fromarray(pixels, mode="L").resize((24 + n % 17, 20 + n % 11))
        path = folder / f"{n}.{'jpg' if n % 3 == 0 else 'png'}"
        (image.convert("RGB") if n % 3 == 0 else image).save(path)
        digit = int(digits.target[i])
        rows.append({
            "image": str(path) if n % 11 else None,
            "caption": CAPTIONS[(digit >= 5) + 2 * (n % 2)] if rng.random() < 0.7 else None,
            "ink": float(pixels.mean()) if n % 7 else None,
            "colour": ["red", "blue", 3.0, None][n % 4],
            "label": "high" if digit >= 5 else "low",
            "digit": digit,
            "value": float(pixels.mean() + rng.normal(0, 3)),
            "high": int(digit >= 5),
            "even": int(n % 2 == 0),
        })
    return pd.DataFrame(rows)


@pytest.fixture(scope="session")
def pairs(table: pd.DataFrame) -> pd.DataFrame:
    """Caption pairs from the table: they match (1) when both rows' digits are on the same side of 5."""
    rows = table.dropna(subset=["caption"]).reset_index(drop=True)
    shifted = rows.sample(frac=1.0, random_state=0).reset_index(drop=True)
    return pd.DataFrame({"question": rows["caption"], "answer": shifted["caption"],
                         "label": (rows["label"] == shifted["label"]).astype(int)})


@pytest.fixture(scope="session")
def fitted(table: pd.DataFrame, pairs: pd.DataFrame, tiny_text_model: Path, tmp_path_factory: pytest.TempPathFactory,
           ) -> dict[str, MultiModalPredictor]:
    """Each case of CASES fitted for one epoch on the table's first 100 rows, a text matcher ("matcher") on the
    first 60 pairs, and a tiny CLIP ("clip") on 60 image-caption rows."""
    one_epoch = tiny_hyperparameters(tiny_text_model, **{"optim.max_epochs": 1})
    matcher = MultiModalPredictor(problem_type="text_similarity", query="question", response="answer",
                                  label="label", match_label=1, path=tmp_path_factory.mktemp("predictors") / "matcher",
                                  hyperparameters=one_epoch)
    predictors = {"matcher": matcher.fit(pairs.iloc[:60], seed=0)}
    clip_folder = make_tiny_clip_model(tmp_path_factory.mktemp("tiny_clip"), tiny_text_model)
    clip = MultiModalPredictor(problem_type="image_text_similarity", query="image", response="caption",
                               path=tmp_path_factory.mktemp("predictors") / "clip",
                               hyperparameters={"model.text.checkpoint": str(clip_folder), "optim.max_epochs": 1,
                                                "model.image.image_size": 32, "optim.batch_size": 16})
    predictors["clip"] = clip.fit(table[["image", "caption"]].dropna().iloc[:60], seed=0)
    for name, (features, labels, types) in CASES.items():
        path = tmp_path_factory.mktemp("predictors") / name
        predictor = MultiModalPredictor(label=labels if len(labels) > 1 else labels[0], path=path,
                                        hyperparameters=one_epoch)
        predictor.fit(table[features + labels].iloc[:100], column_types=types, seed=0)
        predictors[name] = predictor
    return predictors


@pytest.fixture(scope="session")
def exported(fitted: dict[str, MultiModalPredictor], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from automm.deploy import export

    folder = tmp_path_factory.mktemp("exported")
    return {name: export(predictor.path, folder / name) for name, predictor in fitted.items()}


def artefact_case(name: str, export_folder: Path, rows: pd.DataFrame) -> Path:
    """With AUTOMM_DEPLOY_ARTEFACTS set (nox's deploy session), ``<it>/<name>/`` holding a copy of the export and
    the rows, for the session's second environment, which has no torch; the caller adds the torch answers there.
    Skips the test when the variable is unset."""
    target = os.environ.get("AUTOMM_DEPLOY_ARTEFACTS")
    if not target:
        pytest.skip("AUTOMM_DEPLOY_ARTEFACTS is not set")
    case = Path(target) / name
    shutil.copytree(export_folder, case / "export", dirs_exist_ok=True)
    save_rows(rows, case)
    return case


def save_rows(rows: pd.DataFrame, case: Path) -> None:
    """``rows`` as ``case/rows.json``, their image files copied into ``case/images`` (pytest's temporary folders
    do not outlive a few runs)."""
    rows = rows.copy()
    if "image" in rows:
        folder = case / "images"
        folder.mkdir(parents=True, exist_ok=True)
        copied = []
        for path in rows["image"]:
            if isinstance(path, str):
                shutil.copy(path, folder / Path(path).name)
            copied.append(str(folder / Path(path).name) if isinstance(path, str) else None)
        rows["image"] = copied
    rows.to_json(case / "rows.json", orient="split")
