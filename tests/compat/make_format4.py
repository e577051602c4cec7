"""Write the saved-format fixtures of tests/compat/: predictors saved by automm-core 0.4 (format 4) and an export
of automm-deploy 0.2, each with the rows it was asked about and its answers.

Run it with automm 0.4 installed (commit 98e6b22: automm-core 0.4.0, classify 0.3.0, match 0.2.1, detect 0.1.4,
segment 0.1.3, deploy 0.2.1), from the repository root::

    python tests/compat/make_format4.py tests/compat/format4

Every model is tiny (built from configs, two epochs), so the folder stays small; images are copied next to the rows
and named by relative paths, which the test resolves against the fixture folder.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

from automm.core import MultiModalPredictor
from automm.core.testing.tiny_models import make_tiny_text_model, tiny_hyperparameters


def answers(value: Any) -> Any:
    """A prediction as JSON: tables column-wise, arrays as nested lists."""
    if isinstance(value, pd.DataFrame):
        return {str(c): answers(value[c]) for c in value.columns}
    if isinstance(value, pd.Series):
        return [answers(v) for v in value.tolist()]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return value.item()
    if isinstance(value, list):
        return [answers(v) for v in value]
    if isinstance(value, dict):
        return {str(k): answers(v) for k, v in value.items()}
    return value


def thin_weights(file: Path, keep_every: int = 16, large: int = 65536) -> None:
    """Zero all but every ``keep_every``-th row of each tensor with more than ``large`` values, so the fixture
    compresses to a few hundred kilobytes (a detector's box head alone holds 12 million random weights). The saved
    predictor is still format 4 as written by automm-core 0.4; its answers are recorded after this step."""
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file

    with safe_open(str(file), "np") as opened:
        metadata = opened.metadata()
    tensors = load_file(str(file))
    for values in tensors.values():
        if values.size > large:
            mask = np.zeros(values.shape[0], bool)
            mask[::keep_every] = True
            values[~mask] = 0
    save_file(tensors, str(file), metadata=metadata)


def digits(folder: Path, rows: int) -> pd.DataFrame:
    """Digit glyphs as PNG files (relative paths), a caption, a numeric and a categorical column, a binary label."""
    from sklearn.datasets import load_digits

    data = load_digits()
    (folder / "images").mkdir(parents=True, exist_ok=True)
    records = []
    for i in range(rows):
        Image.fromarray((data.images[i] * 255 / 16).astype(np.uint8), mode="L").save(folder / "images" / f"{i}.png")
        big = bool(data.target[i] >= 5)
        records.append({"image": f"images/{i}.png", "caption": ["one two three", "good great big"][big],
                        "ink": float(data.images[i].mean()), "parity": ["even", "odd"][int(data.target[i]) % 2],
                        "label": "large" if big else "small"})
    return pd.DataFrame(records)


def absolute(frame: pd.DataFrame, folder: Path, columns: list[str]) -> pd.DataFrame:
    return frame.assign(**{c: [str(folder / p) for p in frame[c]] for c in columns})


def record(out: Path, name: str, predictor: MultiModalPredictor, rows: pd.DataFrame, fitted_rows: pd.DataFrame,
           proba: bool = True) -> None:
    """Save the predictor to out/name/predictor, the rows to rows.json and the answers of the saved copy (reloaded
    after ``thin_weights``) to expected.json."""
    predictor.save(out / name / "predictor")
    shutil.rmtree(predictor.path, ignore_errors=True)
    thin_weights(out / name / "predictor" / "model.safetensors")
    predictor = MultiModalPredictor.load(out / name / "predictor")
    expected = {"predict": answers(predictor.predict(fitted_rows))}
    if proba:
        expected["predict_proba"] = answers(predictor.predict_proba(fitted_rows))
    (out / name / "rows.json").write_text(rows.to_json(orient="records"))
    (out / name / "expected.json").write_text(json.dumps(expected))


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    work = out.parent / "_work"
    text_model = make_tiny_text_model(work / "text")
    tiny = tiny_hyperparameters(text_model, **{"optim.max_epochs": 1})

    folder = out / "multimodal"
    table = digits(folder, 48)
    full = absolute(table, folder, ["image"])
    predictor = MultiModalPredictor(label="label", path=work / "mm", hyperparameters=tiny).fit(full, seed=0)
    record(out, "multimodal", predictor, table.drop(columns="label").head(6), full.drop(columns="label").head(6))

    from sklearn.datasets import load_iris

    iris = load_iris(as_frame=True).frame.rename(columns=lambda c: c.replace(" (cm)", "").replace(" ", "_"))
    iris["wide"] = (iris["sepal_width"] > 3).map({True: "yes", False: "no"})
    rows = iris.drop(columns=["petal_width", "wide", "target"]).head(6)
    predictor = MultiModalPredictor(label="petal_width", path=work / "reg", hyperparameters=tiny).fit(
        iris.drop(columns=["wide", "target"]), seed=0)
    record(out, "regression", predictor, rows, rows, proba=False)
    predictor = MultiModalPredictor(label=["wide", "target"], problem_type="multilabel", path=work / "ml",
                                    hyperparameters=tiny).fit(iris.assign(target=iris["target"] > 0), seed=0)
    rows = iris.drop(columns=["wide", "target"]).head(6)
    record(out, "multilabel", predictor, rows, rows)

    pairs = pd.DataFrame({"q": ["the red cat", "a blue dog", "one big food", "two small product"] * 6,
                          "r": ["red cat", "blue dog", "big food", "small product", "green", "three"] * 4,
                          "y": [1, 1, 1, 1, 0, 0] * 4})
    predictor = MultiModalPredictor(problem_type="text_similarity", query="q", response="r", label="y",
                                    match_label=1, path=work / "match", hyperparameters=tiny).fit(pairs, seed=0)
    record(out, "text_similarity", predictor, pairs.drop(columns="y").head(6), pairs.drop(columns="y").head(6))

    from automm.classify.ner.testing import ner_table

    ner = ner_table(40)
    predictor = MultiModalPredictor(problem_type="ner", label="entity_annotations", path=work / "ner",
                                    hyperparameters=tiny).fit(ner, seed=0)
    rows = ner.drop(columns="entity_annotations").head(6)
    record(out, "ner", predictor, rows, rows, proba=False)

    from automm.detect.testing.composite import coco_to_dataframe, make_composited_detection

    folder = out / "detection"
    options = {"image_size": (64, 64), "object_size": (16, 28), "max_objects": 2, "classes": [0, 1],
               "background": "textures"}
    make_composited_detection(work / "det", 12, split_name="train", seed=0, **options)
    detector = MultiModalPredictor(problem_type="object_detection", path=work / "detector", hyperparameters={
        "task.backbone": "test_efficientnet", "model.image.pretrained": False, "task.image_size": 64,
        "task.min_score": 0.0, "optim.max_epochs": 1, "optim.batch_size": 4}).fit(str(work / "det" / "train.json"),
                                                                                 seed=0)
    images = coco_to_dataframe(work / "det" / "train.json")[["image"]].head(3)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    for path in images["image"]:
        shutil.copy(path, folder / "images" / Path(path).name)
    rows = pd.DataFrame({"image": [f"images/{Path(p).name}" for p in images["image"]]})
    record(out, "detection", detector, rows, absolute(rows, folder, ["image"]), proba=False)

    from automm.segment.ingest import read_segmentation_data
    from automm.segment.testing.composite import make_composited_segmentation

    folder = out / "segmentation"
    make_composited_segmentation(work / "seg", 12, split_name="train", seed=0, image_size=(64, 64),
                                 object_size=(16, 32), max_objects=2, background="textures")
    segmenter = MultiModalPredictor(problem_type="semantic_segmentation", label="label", path=work / "segmenter",
                                    hyperparameters={"task.encoder": "test_efficientnet",
                                                     "model.image.pretrained": False, "task.image_size": 64,
                                                     "optim.max_epochs": 1, "optim.batch_size": 4})
    segmenter.fit(str(work / "seg" / "train.csv"), seed=0)
    images = read_segmentation_data(work / "seg" / "train.csv", "rows")[["image"]].head(3)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    for path in images["image"]:
        shutil.copy(path, folder / "images" / Path(path).name)
    rows = pd.DataFrame({"image": [f"images/{Path(p).name}" for p in images["image"]]})
    record(out, "segmentation", segmenter, rows, absolute(rows, folder, ["image"]))

    from automm.deploy import export, load

    export(out / "multimodal" / "predictor", out / "multimodal" / "export_deploy02")
    runtime = load(out / "multimodal" / "export_deploy02")
    table = absolute(pd.read_json(out / "multimodal" / "rows.json"), out / "multimodal", ["image"])
    (out / "multimodal" / "expected_export.json").write_text(json.dumps(
        {"predict": answers(runtime.predict(table)), "predict_proba": answers(runtime.predict_proba(table))}))
    shutil.rmtree(work)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
