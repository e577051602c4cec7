"""The torch-free runtime: its preprocessing rules, manifest checks, and (in nox's runtime-only environment) the
exports made with the training stack, answered exactly as the torch predictor answered."""

from __future__ import annotations

import base64
import importlib.util
import io
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from tokenizers import Tokenizer, models, pre_tokenizers

from automm.core.base.legacy import IMAGE_RULES, LETTERBOX_RULES, MASKS_RULE, TEXT_RULES
from automm.core.base.legacy import PROMPTS_RULE as PROMPT_RULE
from automm.core.base.text import truncate_longest_first as longest_first
from automm.deploy.errors import DeployError, InputError
from automm.deploy.manifest import MANIFEST_FILE, Manifest
from automm.deploy.preprocess.images import ImageInputs
from automm.deploy.preprocess.prompts import PAD, PromptInputs
from automm.deploy.preprocess.tabular import categorical_processor, numerical_processor
from automm.deploy.preprocess.text import TextInputs
from automm.deploy.runtime import as_frame, load

ARTEFACTS = os.environ.get("AUTOMM_DEPLOY_ARTEFACTS")
RUNTIME_ONLY = os.environ.get("AUTOMM_DEPLOY_RUNTIME_ONLY") == "1"


@pytest.mark.skipif(not RUNTIME_ONLY, reason="only in the runtime-only environment (nox -s deploy)")
def test_the_runtime_installs_without_the_training_stack() -> None:
    for package in ("torch", "transformers", "lightning"):
        assert importlib.util.find_spec(package) is None, package
    assert importlib.util.find_spec("automm.core.base") is not None  # core's torch-free base comes with deploy
    from automm.deploy import export

    with pytest.raises(DeployError, match=r"pip install 'automm-deploy\[export\]'"):
        export("anything", "out")


@pytest.mark.skipif(not ARTEFACTS, reason="AUTOMM_DEPLOY_ARTEFACTS names no exports (nox -s deploy makes them)")
def test_exports_answer_as_the_torch_predictor_did() -> None:
    cases = sorted(Path(ARTEFACTS).iterdir())
    names = ["clip", "detector", "image", "matcher", "multilabel", "multimodal", "sam_prompted", "segmenter",
             "tabular", "text"]
    assert [c.name for c in cases] == names
    for case in cases:
        if case.name in ("segmenter", "sam_prompted", "detector"):
            (_check_detector if case.name == "detector" else _check_segmenter)(case)
            continue
        model = load(case / "export")
        rows = pd.read_json(case / "rows.json", orient="split")
        expected = json.loads((case / "expected.json").read_text())
        found = model.predict(rows)
        typ = "series" if isinstance(found, pd.Series) else "frame"
        wanted = pd.read_json(io.StringIO(expected["predict"]), orient="split", typ=typ)
        if model.problem_type == "regression":
            np.testing.assert_allclose(found.to_numpy(), wanted.to_numpy(), rtol=1e-4, atol=1e-4)
        else:
            assert (np.asarray(found).astype(str) == np.asarray(wanted).astype(str)).all(), case.name
            proba = pd.read_json(io.StringIO(expected["proba"]), orient="split")
            np.testing.assert_allclose(model.predict_proba(rows).to_numpy(), proba.to_numpy(), atol=1e-4, rtol=0)
        query = {"matcher": "question", "clip": "image"}.get(case.name)
        embedding = (model.extract_embedding(rows[[query]], signature="query") if query
                     else model.extract_embedding(rows))
        np.testing.assert_allclose(embedding, np.asarray(expected["embedding"]), atol=1e-4)


@pytest.mark.skipif(not ARTEFACTS, reason="AUTOMM_DEPLOY_ARTEFACTS names no exports (nox -s deploy makes them)")
def test_the_server_answers_without_torch() -> None:
    """What the slim image runs: the runtime + LitServe, no torch, serving the multimodal export."""
    pytest.importorskip("litserve")
    from automm.deploy.testing import JSON, body_of, call, request_rows, serving

    case = Path(ARTEFACTS) / "multimodal"
    rows = pd.read_json(case / "rows.json", orient="split")
    expected = json.loads((case / "expected.json").read_text())
    with serving(case / "export", "--workers", "1") as port:
        status, found = call(port, "POST", "/predict", body_of(request_rows(rows)), JSON)
    assert status == 200, found
    wanted = pd.read_json(io.StringIO(expected["predict"]), orient="split", typ="series")
    assert found["predictions"] == wanted.astype(str).tolist()
    proba = pd.read_json(io.StringIO(expected["proba"]), orient="split")
    np.testing.assert_allclose(np.asarray(found["probabilities"]), proba.to_numpy(), atol=1e-4, rtol=0)


@pytest.mark.skipif(not ARTEFACTS, reason="AUTOMM_DEPLOY_ARTEFACTS names no exports (nox -s deploy makes them)")
@pytest.mark.parametrize("name", ["segmenter", "sam_prompted"])
def test_the_server_answers_masks_without_torch(name: str) -> None:
    """The served mask PNGs are the runtime's masks, and agree with the torch predictor's."""
    pytest.importorskip("litserve")
    from automm.deploy.testing import JSON, answer_masks, body_of, call, request_rows, serving

    case = Path(ARTEFACTS) / name
    rows = pd.read_json(case / "rows.json", orient="split")
    with serving(case / "export", "--workers", "1") as port:
        status, found = call(port, "POST", "/predict", body_of(request_rows(rows)), JSON)
    assert status == 200, found
    masks, expected = answer_masks(found), np.load(case / "masks.npz")
    for mine, wanted in zip(masks, load(case / "export").predict(rows), strict=True):
        np.testing.assert_array_equal(mine, wanted)
    equal = sum(int((m == expected[f"arr_{i}"]).sum()) for i, m in enumerate(masks))
    assert equal / sum(m.size for m in masks) >= 0.9999


def _check_detector(case: Path) -> None:
    found = load(case / "export").predict(pd.read_json(case / "rows.json", orient="split"))["bboxes"]
    for mine, theirs in zip(found, json.loads((case / "boxes.json").read_text())):
        assert [b["class"] for b in mine] == [b["class"] for b in theirs]
        np.testing.assert_allclose([b["score"] for b in mine], [b["score"] for b in theirs], atol=1e-4)
        np.testing.assert_allclose(np.asarray([b["bbox"] for b in mine]).reshape(-1, 4),
                                   np.asarray([b["bbox"] for b in theirs]).reshape(-1, 4), atol=0.02)


def _check_segmenter(case: Path) -> None:
    masks = load(case / "export").predict(pd.read_json(case / "rows.json", orient="split"))
    expected = np.load(case / "masks.npz")
    equal = sum(int((m == expected[f"arr_{i}"]).sum()) for i, m in enumerate(masks))
    assert equal / sum(m.size for m in masks) >= 0.9999


def test_prompt_recipe_parses_checks_and_scales_to_the_letterboxed_input() -> None:
    recipe = {"point_column": "p", "box_column": "b",
              "recipe": {**LETTERBOX_RULES, "prompts": PROMPT_RULE, "masks": MASKS_RULE}}  # as core 0.4 wrote it
    inputs = PromptInputs(recipe)
    frame = pd.DataFrame({"p": [[[10, 20]], "[[4, 5, 0], [6, 7]]", None], "b": [None, "[1, 2, 30, 40]", ""]},
                         index=["a", "b", "c"])
    parsed = inputs.parse(frame)
    np.testing.assert_array_equal(parsed[0], [[10, 20, 1], [0, 0, PAD]])
    np.testing.assert_array_equal(parsed[1], [[4, 5, 0], [6, 7, 1], [1, 2, 2], [30, 40, 3]])
    np.testing.assert_array_equal(parsed[2], [[0, 0, PAD]])
    sizes, valid = np.asarray([[50, 100], [40, 40], [8, 8]]), np.asarray([[16, 32], [32, 32], [32, 32]])
    scaled = inputs.scale(parsed, frame.index, sizes, valid)  # (height, width) before and after the letterbox
    np.testing.assert_allclose(scaled[0], [[3.2, 6.4, 1], [0, 0, PAD]], rtol=1e-6)
    np.testing.assert_allclose(scaled[1][:, :2], np.asarray(parsed[1])[:, :2] * 0.8, rtol=1e-6)
    with pytest.raises(InputError, match=r"Row 'b': prompt coordinates \[\[30.0, 40.0\]\] in \['p', 'b'\] lie "
                                         r"outside the 30x39 px image"):
        inputs.scale(parsed, frame.index, np.asarray([[50, 100], [39, 30], [8, 8]]), valid)
    with pytest.raises(InputError, match=r"Row 'c', column 'b' holds 2 boxes"):
        inputs.parse(frame.assign(b=[None, None, [[1, 2, 3, 4], [5, 6, 7, 8]]]))
    with pytest.raises(DeployError, match="segmentation preprocessing rules"):
        PromptInputs({**recipe, "recipe": {**recipe["recipe"], "prompts": "something else"}})
    assert PromptInputs({"point_column": "p", "rule_version": 1}).columns == ["p"]


def test_numerical_recipe() -> None:
    recipe = {"columns": ["x"], "medians": [2.0], "means": [1.0], "stds": [2.0], "clip": 3.0, "missing": "median"}
    frame = pd.DataFrame({"x": [5, None, "7", "abc", float("inf"), 1e300]}, dtype=object)
    np.testing.assert_allclose(numerical_processor(recipe).transform(frame)[:, 0], [2.0, 0.5, 3.0, 0.5, 0.5, 3.0])
    assert numerical_processor(recipe).transform(frame).dtype == np.float32
    with pytest.raises(DeployError, match="rule"):
        numerical_processor({**recipe, "missing": "mean"}).transform(frame)
    with pytest.raises(DeployError, match="rule"):
        numerical_processor({**recipe, "transform": "yeo_johnson"}).transform(frame)


def test_quantile_normal_recipe() -> None:
    """Values -> their probability among the knots (a tied value: the middle of its range) -> the normal score."""
    recipe = {"columns": ["x"], "medians": [1.0], "means": [0.0], "stds": [1.0], "missing": "median",
              "transform": "quantile_normal", "knots": [[0.0, 0.0, 0.0, 4.0, 8.0]],
              "scores": [-5.0, -1.0, 0.0, 1.0, 5.0]}
    frame = pd.DataFrame({"x": [0.0, 2.0, 6.0, -3.0, 100.0, None]})
    # 0 spans probabilities 0..0.5 -> 0.25 (score -1); 2 -> 0.625 (0.5); 6 -> 0.875 (3); outside -> the end scores;
    # missing -> the median 1 -> 0.5625 (0.25)
    np.testing.assert_allclose(numerical_processor(recipe).transform(frame)[:, 0], [-1.0, 0.5, 3.0, -5.0, 5.0, 0.25])


def test_categorical_recipe() -> None:
    recipe = {"columns": ["c"], "vocabularies": [["1", "red"]], "unknown_id": 0,
              "strings": "str-with-integral-floats-as-int"}
    frame = pd.DataFrame({"c": [1.0, 1, "red", None, "blue", float("nan")]})
    assert categorical_processor(recipe).transform(frame)[:, 0].tolist() == [1, 1, 2, 0, 0, 0]


@pytest.fixture()
def tokenizer_file(tmp_path: Path) -> Path:
    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "a": 4, "b": 5, "c": 6, "d": 7}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.enable_truncation(3)  # a saved tokenizer's own settings must not apply
    tokenizer.save(str(tmp_path / "tokenizer.json"))
    return tmp_path / "tokenizer.json"


def test_text_recipe_joins_truncates_longest_first_and_pads(tokenizer_file: Path) -> None:
    recipe = {"columns": ["t", "u"], "max_length": 8, "char_cap": 30, "start_id": 2, "end_id": 3, "pad_id": 0,
              "rules": TEXT_RULES}
    text = TextInputs(recipe, tokenizer_file)
    frame = pd.DataFrame({"t": ["a b c d a b", None, "zz"], "u": ["c d", None, ""]})
    out = text(frame)
    # 8 tokens: [CLS] t [SEP] u [SEP] leaves 5 for t (6 tokens) and u (2); the longest, t, is cut to 3.
    assert out["text_ids"].tolist() == [[2, 4, 5, 6, 3, 6, 7, 3], [2, 3, 3, 0, 0, 0, 0, 0], [2, 1, 3, 3, 0, 0, 0, 0]]
    assert out["text_mask"].sum(axis=1).tolist() == [8, 3, 4]
    assert out["text_present"].tolist() == [True, False, True]
    assert longest_first([[1] * 5, [2] * 2, [3] * 4], 6) == [[1] * 2, [2] * 2, [3] * 2]
    with pytest.raises(DeployError, match="predates"):
        TextInputs({"columns": ["t"], "max_length": 8}, tokenizer_file)


def _png(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


IMAGE_RECIPE = {"columns": ["img"], "kinds": ["image_base64"], "size": 4, "mean": [0.0, 0.0, 0.0],
                "std": [1.0, 1.0, 1.0], "max_images_per_row": 2, "draft_size": 1024, "rules": IMAGE_RULES}


def test_image_recipe_decodes_resizes_and_masks_slots() -> None:
    transparent = Image.new("RGBA", (8, 6), (0, 0, 0, 0))  # over white: all ones
    deep = Image.fromarray(np.full((6, 6), 65535, np.uint16))  # 16-bit full scale: all ones
    frame = pd.DataFrame({"img": [_png(transparent), _png(deep), None, "not base64"]})
    out = ImageInputs(IMAGE_RECIPE)(frame)
    assert out["image_pixels"].shape == (4, 1, 3, 4, 4)  # one slot: no row has more than one image
    assert out["image_mask"][:, 0].tolist() == [True, True, False, False]  # unreadable images are skipped
    np.testing.assert_allclose(out["image_pixels"][:2], 1.0)
    gradient = Image.fromarray(np.tile(np.arange(0, 240, 30, dtype=np.uint8), (4, 1)))  # 8 wide, 4 high
    pixels = ImageInputs(IMAGE_RECIPE)(pd.DataFrame({"img": [_png(gradient)]}))["image_pixels"][0, 0, 0]
    expected = np.asarray(gradient.crop((2, 0, 6, 4)), np.float32) / 255  # shorter side already 4: centre crop
    np.testing.assert_allclose(pixels, expected, atol=1e-6)


def test_a_server_takes_only_base64_images(tmp_path: Path) -> None:
    path = tmp_path / "secret.png"
    Image.new("RGB", (4, 4)).save(path)
    strict = ImageInputs({**IMAGE_RECIPE, "kinds": ["image_path"]}, allow_paths=False)
    with pytest.raises(InputError, match=r"Column 'img', row 0: .* not a base64-encoded image"):
        strict(pd.DataFrame({"img": [str(path)]}))
    assert strict(pd.DataFrame({"img": [_png(Image.new("RGB", (4, 4)))]}))["image_mask"].all()
    relaxed = ImageInputs({**IMAGE_RECIPE, "kinds": ["image_path"]})
    assert relaxed(pd.DataFrame({"img": [f"{path};{path}"]}))["image_mask"].tolist() == [[True, True]]


def test_manifest_errors_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(DeployError, match="not a directory"):
        Manifest.read(tmp_path / "missing")
    (tmp_path / "predictor.json").write_text("{}")
    with pytest.raises(DeployError, match="saved predictor, not an export"):
        Manifest.read(tmp_path)
    (tmp_path / MANIFEST_FILE).write_text(json.dumps({"format_version": 99}))
    with pytest.raises(DeployError, match="pip install -U automm-deploy"):
        Manifest.read(tmp_path)
    (tmp_path / MANIFEST_FILE).write_text(json.dumps({"format_version": 1, "graphs": {}}))
    with pytest.raises(DeployError, match="damaged"):
        Manifest.read(tmp_path)


def test_rows_in_any_tabular_form(tmp_path: Path) -> None:
    expected = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    pd.testing.assert_frame_equal(as_frame([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]), expected)
    pd.testing.assert_frame_equal(as_frame({"a": [1, 2], "b": ["x", "y"]}), expected)
    expected.to_csv(tmp_path / "rows.csv", index=False)
    pd.testing.assert_frame_equal(as_frame(tmp_path / "rows.csv"), expected)
    with pytest.raises(InputError, match="list of row dicts"):
        as_frame(42)


def test_categories_of_many_rows_are_looked_up_per_distinct_value_with_the_per_cell_answers() -> None:
    """``category_ids`` (one look-up per distinct value from FACTORIZE_ROWS cells) equals the per-cell rule on
    missing, unseen, integral-float, bool and numpy cells; a processor's transform uses it column by column."""
    from automm.core.base import tabular

    category_ids, category_string = tabular.category_ids, tabular.category_string

    lookup = {"1": 1, "red": 2, "True": 3, "1.0": 4}
    plain = [1.0, 1, "red", None, "blue", float("nan"), pd.NA, "1", 2.5, "red"]
    mixed = [*plain, True, np.float32(1.0), np.int64(1), pd.NaT]
    for cells in (plain, mixed):
        column = np.asarray(cells * (tabular.FACTORIZE_ROWS // len(plain) + 1), dtype=object)
        per_cell = [lookup.get(category_string(cell), tabular.UNKNOWN_ID) for cell in column]
        assert np.asarray(category_ids(column, lookup)).tolist() == per_cell
        assert np.asarray(category_ids(column[:3], lookup)).tolist() == per_cell[:3]
    processor = tabular.CategoricalProcessor(["c"], [["1", "red"]])
    frame = pd.DataFrame({"c": plain * 4})
    assert processor.transform(frame)[:, 0].tolist() == [1, 1, 2, 0, 0, 0, 0, 1, 0, 2] * 4


def test_manifest_graph_session_settings_and_their_defaults(tmp_path: Path) -> None:
    """A graph's optimizer and session settings are recorded; manifests without them read with the defaults, and
    the runtime's session options follow them."""
    from automm.deploy.manifest import Graph
    from automm.deploy.runtime import session_options

    old = {"file": "model.onnx", "inputs": ["numerical"], "outputs": ["logits"], "opset": 17}
    assert Graph.from_json(old) == Graph("model.onnx", ["numerical"], ["logits"], 17, "fp32", "none", "all", 0, False)
    tuned = Graph.from_json({**old, "optimizer": "bert", "optimization_level": "extended", "threads": 3,
                             "spinning": True})
    assert (tuned.optimizer, tuned.optimization_level, tuned.threads, tuned.spinning) == ("bert", "extended", 3, True)
    with pytest.raises(ValueError, match="optimization_level"):
        Graph.from_json({**old, "optimization_level": "max"})
    options = session_options(None, tuned)
    assert options.intra_op_num_threads == 3 and options.graph_optimization_level.name == "ORT_ENABLE_EXTENDED"
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "1"
    options = session_options(2, Graph.from_json(old))
    assert options.intra_op_num_threads == 2 and options.graph_optimization_level.name == "ORT_ENABLE_ALL"
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
