"""Segment Anything with point / box prompt columns, exported and run torch-free: the torch predictor's masks and
probabilities for every prompt layout, rows of different prompt counts in one call, and its errors for bad cells."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from PIL import Image

pytest.importorskip("automm.segment")
pytest.importorskip("segment_anything")

from automm.core import MultiModalPredictor  # noqa: E402
from automm.core.base import prompts as base_prompts  # noqa: E402
from automm.core.errors import InputError as TorchInputError  # noqa: E402
from automm.deploy import export, load  # noqa: E402
from automm.deploy.errors import InputError  # noqa: E402
from automm.deploy.http_api import PredictRequest, Rejection, RowService  # noqa: E402
from automm.deploy.preprocess import prompts as deploy_prompts  # noqa: E402
from automm.deploy.testing import answer_masks  # noqa: E402
from automm.segment import prompts as segment_prompts  # noqa: E402
from automm.segment.ingest import read_segmentation_data  # noqa: E402
from automm.segment.testing.composite import make_composited_segmentation  # noqa: E402
from automm.segment.testing.tiny_sam import save_tiny_sam  # noqa: E402

from .conftest import artefact_case  # noqa: E402

SAM = {"task.image_size": 64, "env.eval_batch_size": 4, "task.point_column": "points", "task.box_column": "box"}
# Each row's prompts, by layout: a function of the row's object (box, a point inside, a point outside it).
LAYOUTS = {
    "points": lambda box, inside, outside: ([inside], None),
    "box": lambda box, inside, outside: (None, box),
    "box_and_points": lambda box, inside, outside: ([inside], box),
    "two_points": lambda box, inside, outside: ([inside, [*outside, 0]], None),
    "none": lambda box, inside, outside: (None, None),
    "box_and_two_points": lambda box, inside, outside: ([inside, [*outside, 0]], box),
    "three_points_text": lambda box, inside, outside: (json.dumps([inside, inside, [*outside, 0]]), None),
    "box_text": lambda box, inside, outside: (None, json.dumps(box)),
}


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame]:
    """16 training rows (80x96 composited digits on photos, 0/255 masks) and 8 test rows of other sizes, each
    with its object's bounding box, a point on it and a point off it."""
    folder = tmp_path_factory.mktemp("composited")
    options = {"object_size": (20, 40), "max_objects": 1, "min_objects": 1, "background": "all"}
    make_composited_segmentation(folder, 16, split_name="train", seed=0, image_size=(80, 96), **options)
    make_composited_segmentation(folder, 4, split_name="test", seed=1, image_size=(90, 70), **options)
    make_composited_segmentation(folder, 4, split_name="wide", seed=2, image_size=(50, 120), **options)
    train = read_segmentation_data(folder / "train.csv", "train")
    test = pd.concat([read_segmentation_data(folder / f"{name}.csv", "test") for name in ("test", "wide")])
    return _objects(train), _objects(test.reset_index(drop=True))


def _objects(table: pd.DataFrame) -> pd.DataFrame:
    boxes, inside, outside = [], [], []
    for path in table["label"]:
        mask = np.asarray(Image.open(path)) > 0
        ys, xs = np.nonzero(mask)
        boxes.append([int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1])
        inside.append([int(xs[len(xs) // 2]), int(ys[len(ys) // 2])])
        off_y, off_x = np.nonzero(~mask)
        outside.append([int(off_x[0]), int(off_y[0])])
    return table.assign(object_box=boxes, inside=inside, outside=outside)


def prompted(table: pd.DataFrame, layouts: list[str]) -> pd.DataFrame:
    """The table's image column with prompt cells, row ``i`` laid out as ``layouts[i % len(layouts)]``."""
    cells = [LAYOUTS[layouts[i % len(layouts)]](*row) for i, row in
             enumerate(zip(table["object_box"], table["inside"], table["outside"]))]
    return pd.DataFrame({"image": table["image"], "points": [c[0] for c in cells], "box": [c[1] for c in cells]})


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_sam(tmp_path_factory.mktemp("sam") / "sam_vit_tiny.pth")


@pytest.fixture(scope="module")
def zero_shot(checkpoint: Path, images: tuple, tmp_path_factory: pytest.TempPathFactory,
              ) -> tuple[MultiModalPredictor, Path]:
    """The pretrained (tiny) SAM before any fit, saved, and its saved directory exported."""
    folder = tmp_path_factory.mktemp("zero_shot")
    predictor = MultiModalPredictor(problem_type="semantic_segmentation", label="label", path=str(folder / "p"),
                                    hyperparameters={"model.sam.checkpoint_name": str(checkpoint), **SAM})
    predictor.predict(prompted(images[1], ["box"]).head(1))  # builds the zero-shot model from the prompt columns
    assert predictor.state.fit_info.get("zero_shot")
    saved = predictor.save(folder / "saved")
    return MultiModalPredictor.load(saved), export(saved, folder / "export")


@pytest.fixture(scope="module")
def fitted(checkpoint: Path, images: tuple, tmp_path_factory: pytest.TempPathFactory,
           ) -> tuple[MultiModalPredictor, Path]:
    """SAM fitted (LoRA, one epoch) on rows with boxes and points, exported from the predictor object."""
    folder = tmp_path_factory.mktemp("fitted")
    train = prompted(images[0], ["box_and_points", "box", "points"]).assign(label=images[0]["label"])
    predictor = MultiModalPredictor(problem_type="semantic_segmentation", label="label", path=str(folder / "p"),
                                    hyperparameters={"model.sam.checkpoint_name": str(checkpoint), **SAM,
                                                     "optim.max_epochs": 1, "optim.batch_size": 8})
    predictor.fit(train.head(12), tuning_data=train.tail(4), seed=0)
    return predictor, export(predictor, folder / "export")


def assert_same_answers(predictor: MultiModalPredictor, folder: Path, rows: pd.DataFrame) -> None:
    """The runtime's masks and probability maps are the torch predictor's."""
    model = load(folder)
    masks, expected = model.predict(rows), predictor.predict(rows)
    assert all(m.shape == e.shape and m.dtype == e.dtype for m, e in zip(masks, expected))
    equal = sum(int((m == e).sum()) for m, e in zip(masks, expected))
    assert equal / sum(e.size for e in expected) >= 0.9999
    proba, wanted = model.predict_proba(rows), predictor.predict_proba(rows)
    assert list(proba.columns) == list(wanted.columns) and proba.index.equals(wanted.index)
    difference = max(float(np.abs(f - w.astype(np.float32)).max()) for column in proba.columns
                     for f, w in zip(proba[column], wanted[column]))
    assert difference <= 1e-3  # float16 maps: one step is ~5e-4 near 1 (measured: 2.4e-4 to 4.9e-4)


@pytest.mark.parametrize("layouts", [["points"], ["box"], ["box_and_points"], ["box_and_two_points", "box_text"]],
                         ids=["points", "box", "box_and_points", "box_and_points_text"])
def test_each_prompt_layout_answers_as_the_torch_predictor(zero_shot: tuple, images: tuple,
                                                           layouts: list[str]) -> None:
    predictor, folder = zero_shot
    assert_same_answers(predictor, folder, prompted(images[1], layouts))


@pytest.mark.parametrize("which", ["zero_shot", "fitted"])
def test_rows_of_different_prompt_counts_in_one_call(which: str, images: tuple,
                                                     request: pytest.FixtureRequest) -> None:
    """SAM's masks depend on padding entries: the runtime must run each prompt count on its own, as torch does."""
    predictor, folder = request.getfixturevalue(which)
    rows = prompted(images[1], list(LAYOUTS))
    counts = [len(p) for p in deploy_prompts.PromptInputs(load(folder).manifest.processors).parse(rows)]
    assert sorted(set(counts)) == [1, 2, 3, 4]
    assert_same_answers(predictor, folder, rows)


def test_the_export_reads_the_prompt_columns(zero_shot: tuple) -> None:
    model = load(zero_shot[1])
    assert model.columns == ["image", "points", "box"]
    assert model.manifest.columns == {"image": "image_path", "points": "coordinates", "box": "coordinates"}
    assert model.manifest.graphs["model"].inputs == ["images", "prompts"]


BAD_CELLS = {  # name -> (column, cell of row 2, the error's words)
    "not JSON": ("points", "[[3, 4]", r"Row 2, column 'points': '\[\[3, 4\]' is not JSON"),
    "two boxes": ("box", [[1, 2, 3, 4], [5, 6, 7, 8]], r"Row 2, column 'box' holds 2 boxes"),
    "a label other than 0 or 1": ("points", [[3, 4, 2]], r"Row 2, column 'points': point labels must be 1"),
    "a box without area": ("box", "[30, 4, 10, 20]", r"Row 2, column 'box': box .* has no area"),
    "outside the image": ("box", [10, 10, 200, 50], r"Row 2: prompt coordinates .* in \['points', 'box'\] lie "
                                                    r"outside the 90x70 px image"),
}


@pytest.mark.parametrize("name", list(BAD_CELLS))
def test_bad_cells_are_refused_as_the_torch_predictor_refuses_them(name: str, zero_shot: tuple, images: tuple,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    predictor, folder = zero_shot
    column, cell, words = BAD_CELLS[name]
    rows = prompted(images[1], ["box_and_points"]).head(4)
    cells = list(rows[column])
    cells[2] = cell
    rows[column] = pd.Series(cells, index=rows.index, dtype=object)
    model = load(folder, batch_size=1)
    calls: list[int] = []
    run = model.network.session.run
    monkeypatch.setattr(model.network.session, "run", lambda *a, **k: calls.append(1) or run(*a, **k))
    with pytest.raises(InputError, match=words) as found:
        model.predict(rows)
    with pytest.raises(TorchInputError) as expected:
        predictor.predict(rows)
    assert str(found.value) == str(expected.value)
    if name != "outside the image":  # cells are checked before any graph call; coordinates once the image is read
        assert calls == []


def test_rows_lacking_a_prompt_column_are_refused(zero_shot: tuple, images: tuple) -> None:
    with pytest.raises(InputError, match=r"lack column\(s\) \['box'\]"):
        load(zero_shot[1]).predict(prompted(images[1], ["box"]).drop(columns="box"))


def test_a_server_takes_prompts_as_lists_or_json_text(zero_shot: tuple, images: tuple) -> None:
    """Prompts as lists or JSON text; each row's answered 0/255 mask PNG is exactly the runtime's mask."""
    service = RowService(zero_shot[1])
    image = base64.b64encode(Path(images[1]["image"].iloc[0]).read_bytes()).decode()
    row = {"image": image, "points": [[3, 4]], "box": "[1, 2, 30, 40]"}
    assert service.decode(PredictRequest(rows=[row])) == [row]
    rows = [row, {"image": image, "points": "[[20, 30], [5, 5, 0]]", "box": None}]
    answer = json.loads(service.encode(service.answer_all([service.decode(PredictRequest(rows=rows))])[0]).body)
    assert answer["classes"] == ["0", "255"]
    masks = load(zero_shot[1], allow_paths=False).predict(pd.DataFrame(rows))
    assert all(mask.any() for mask in masks) and not (masks[0] == masks[1]).all()
    for found, wanted in zip(answer_masks(answer), masks, strict=True):
        np.testing.assert_array_equal(found, wanted)
    lacking = service.decode(PredictRequest(rows=[{"image": image, "points": None}]))
    assert isinstance(lacking, Rejection) and "lacks feature column(s) ['box']" in lacking.detail
    wrong = service.decode(PredictRequest(rows=[{**row, "box": {"x": 1}}]))
    assert isinstance(wrong, Rejection) and "column 'box': expected a list of pixel coordinates" in wrong.detail


CELLS = [None, float("nan"), "", "[]", [3, 4], [[3, 4], [5, 6, 0]], "[[3.5, 4, 1]]", np.asarray([[1, 2]]),
         [1, 2, 30, 40], "[[1, 2, 30, 40]]", [[1, 2, 3, 4], [5, 6, 7, 8]], "[[1, 2]", [[1]], [["a", 2]],
         [[float("inf"), 2]], 7, [[1, 2, 5]], [30, 2, 1, 40], [1, 2, 3]]


def test_the_prompt_rule_and_labels_are_automm_segments(zero_shot: tuple) -> None:
    """One parser: the runtime and automm-segment call automm.core.base.prompts, versioned by one integer."""
    processors = json.loads((zero_shot[1] / "manifest.json").read_text())["processors"]
    assert processors["rule_version"] == 1 and "recipe" not in processors
    assert deploy_prompts.read_prompts is base_prompts.read_prompts is segment_prompts.read_prompts
    for name in ("PAD", "BACKGROUND", "FOREGROUND", "TOP_LEFT", "BOTTOM_RIGHT"):
        assert getattr(deploy_prompts, name, getattr(base_prompts, name)) == getattr(segment_prompts, name)


@pytest.mark.parametrize("parse", ["parse_points", "parse_box"])
@pytest.mark.parametrize("cell", CELLS, ids=[repr(c) for c in CELLS])
def test_cells_parse_as_automm_segment_parses_them(cell: object, parse: str) -> None:
    """The runtime's cell rules (core's base) give automm-segment's prompts, or its error word for word."""
    found, expected = _outcome(getattr(base_prompts, parse), cell), _outcome(getattr(segment_prompts, parse), cell)
    assert type(found) is type(expected)
    if isinstance(found, str):
        assert found == expected
    elif found is not None:
        np.testing.assert_array_equal(found, expected)


def _outcome(parse: Callable[..., Any], cell: object) -> object:
    try:
        return parse(cell, "r1", "c")
    except (InputError, TorchInputError) as err:
        return str(err)


def test_write_artefacts_for_the_runtime_only_session(zero_shot: tuple, images: tuple, tmp_path: Path) -> None:
    """The export, rows of every prompt layout and the torch predictor's masks, for nox's runtime-only
    environment."""
    predictor, folder = zero_shot
    rows = prompted(images[1], list(LAYOUTS))
    case = artefact_case("sam_prompted", folder, rows)
    np.savez(case / "masks.npz", *predictor.predict(rows))
    assert len(np.load(case / "masks.npz").files) == len(rows)
