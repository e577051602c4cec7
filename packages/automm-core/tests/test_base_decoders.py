"""core's torch-free decoders: built from their JSON specs, registered by name, answering as the torch tasks did
(the torch reference computations of automm-core 0.4 / automm-detect / automm-segment are written out here)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from automm.core.base import answers
from automm.core.base.boxes import letterbox_scale, to_original
from automm.core.base.decoding import answer_encoder, decoder_from_spec
from automm.core.base.masks import mask_image, probabilities
from automm.core.base.registry import DECODERS
from automm.core.errors import ConfigError, InputError

INDEX = pd.Index([10, 11, 12])
LOGITS = np.asarray([[2.0, -1.0, 0.5], [-3.0, 4.0, 0.0], [0.1, 0.1, 3.0]], dtype=np.float32)


def roundtrip(spec: dict) -> object:
    """The decoder of ``spec`` after a trip through JSON, checking that it writes the same spec back."""
    decoder = decoder_from_spec(json.loads(json.dumps(spec)))
    assert decoder.spec() == spec
    return decoder


def test_classes_are_the_argmax_and_probabilities_a_softmax() -> None:
    decoder = roundtrip({"decoder": "classes", "column": "label", "classes": ["a", "b", "c"]})
    found = decoder.predict(LOGITS, INDEX)
    assert found.tolist() == ["a", "b", "c"] and found.name == "label" and found.index.equals(INDEX)
    expected = torch.from_numpy(LOGITS).softmax(dim=1).numpy()
    np.testing.assert_allclose(decoder.predict_proba(LOGITS, INDEX).to_numpy(), expected, rtol=1e-6)
    assert decoder.predict(LOGITS[:0], INDEX[:0]).empty and decoder.predict_proba(LOGITS[:0], INDEX[:0]).shape == (0, 3)


def test_multilabel_thresholds_each_sigmoid_at_a_half() -> None:
    decoder = roundtrip({"decoder": "binary_columns", "columns": ["x", "y", "z"], "values": [[0, 1], ["no", "yes"],
                                                                                         [False, True]]})
    found = decoder.predict(LOGITS, INDEX)  # p = 0.5 (a logit of 0) is positive
    assert found.to_dict("list") == {"x": [1, 0, 1], "y": ["no", "yes", "yes"], "z": [True, True, True]}
    np.testing.assert_allclose(decoder.predict_proba(LOGITS, INDEX).to_numpy(), torch.from_numpy(LOGITS).sigmoid(),
                               rtol=1e-6)
    assert decoder.predict_proba(np.asarray([[-1000.0, 0, 1000]]), INDEX[:1]).to_numpy().tolist() == [[0, 0.5, 1]]


def test_values_are_destandardised() -> None:
    single = roundtrip({"decoder": "values", "columns": ["y"], "means": [10.0], "stds": [2.0], "series": True})
    found = single.predict(np.asarray([[1.0], [-0.5]]), INDEX[:2])
    assert found.tolist() == [12.0, 9.0] and found.name == "y" and not single.has_proba
    several = roundtrip({"decoder": "values", "columns": ["a", "b"], "means": [0.0, 1.0], "stds": [1.0, 3.0],
                         "series": False})
    assert several.predict(np.asarray([[1.0, 1.0]]), INDEX[:1]).to_dict("list") == {"a": [1.0], "b": [4.0]}
    with pytest.raises(InputError, match="no class probabilities"):
        several.predict_proba(np.asarray([[1.0, 1.0]]), INDEX[:1])


def test_matching_uses_the_cosine_and_platt_scaling() -> None:
    outputs = np.asarray([[[1.0, 0.0], [1.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]]])  # cosine 1, then 0
    spec = {"decoder": "match", "name": "same", "kind": "binary", "match_label": "yes", "other_label": "no",
            "label_range": [0.0, 1.0], "platt": [10.0, -5.0]}
    binary = roundtrip(spec)
    assert binary.predict(outputs, INDEX[:2]).tolist() == ["yes", "no"]
    proba = binary.predict_proba(outputs, INDEX[:2])
    assert list(proba.columns) == ["no", "yes"]
    np.testing.assert_allclose(proba["yes"], 1 / (1 + np.exp(-np.asarray([5.0, -5.0]))))
    graded = roundtrip({**spec, "kind": "graded", "label_range": [0.0, 5.0]})
    assert graded.predict(outputs, INDEX[:2]).tolist() == [5.0, 0.0] and not graded.has_proba
    assert binary.predict(outputs[:0], INDEX[:0]).empty


def test_boxes_go_back_to_the_original_image_as_torch_computed_them() -> None:
    rng = np.random.default_rng(0)
    boxes = (rng.random((5, 4)) * 700 - 50).astype(np.float32)
    size = np.asarray([480, 300])
    scale = letterbox_scale(size, 640)
    found = to_original({"boxes": boxes, "scores": np.ones(5), "labels": np.zeros(5)}, scale, size)
    # automm-detect 0.2's torch computation, on the scale its processor stores (float32)
    torch_scale = torch.tensor([640 / 480], dtype=torch.float32)[0]
    expected = torch.minimum((torch.from_numpy(boxes) / torch_scale).clamp(min=0),
                             torch.tensor([300, 480, 300, 480]).float())
    np.testing.assert_array_equal(found["boxes"], expected.numpy())
    decoder = roundtrip({"decoder": "boxes", "classes": ["cat", "dog"], "image_column": "image"})
    rows = pd.DataFrame({"image": ["a.png"]}, index=[7])
    table = decoder.predict([{"boxes": boxes[:1], "scores": np.asarray([0.9]), "labels": np.asarray([1])}], rows)
    assert table.loc[7, "image"] == "a.png" and table.loc[7, "bboxes"][0]["class"] == "dog"
    with pytest.raises(ConfigError, match="bbox_format"):
        decoder.predict([], rows.iloc[:0], bbox_format="cxcywh")


@pytest.mark.parametrize("classes", [1, 3])
def test_probability_maps_match_torch_interpolation(classes: int) -> None:
    logits = torch.randn(classes, 16, 16, generator=torch.Generator().manual_seed(classes)) * 4
    valid, size = (12, 16), (27, 35)
    found = probabilities(logits.numpy(), valid, size)
    # automm-segment 0.2's torch computation
    resized = torch.nn.functional.interpolate(logits[None, :, :12, :16], size=size, mode="bilinear",
                                              align_corners=False)[0]
    expected = (torch.cat([1 - resized.sigmoid(), resized.sigmoid()]) if classes == 1 else resized.softmax(0)).half()
    assert found.dtype == np.float16 and found.shape == tuple(expected.shape)
    np.testing.assert_allclose(found.astype(np.float32), expected.float().numpy(), atol=2e-3)


def test_masks_and_their_pngs() -> None:
    codec = {"kind": "values", "values": [0, 128, 255], "palette": None}
    decoder = roundtrip({"decoder": "masks", "codec": codec, "threshold": 0.5})
    probability = np.zeros((3, 2, 2), np.float16)
    probability[2] = 1
    masks = decoder.predict([probability], INDEX[:1])
    assert masks.name == "mask" and masks.iloc[0].tolist() == [[2, 2], [2, 2]] and decoder.classes == ["0", "128",
                                                                                                           "255"]
    assert list(decoder.predict_proba([probability], INDEX[:1]).columns) == ["0", "128", "255"]
    assert np.asarray(mask_image(masks.iloc[0], codec)).tolist() == [[255, 255], [255, 255]]
    binary = decoder_from_spec({"decoder": "masks", "codec": {"kind": "threshold", "values": [0, 255]},
                                "threshold": 0.7})
    two = np.stack([np.full((1, 2), 0.35), np.asarray([[0.65, 0.75]])]).astype(np.float16)
    assert binary.predict([two], INDEX[:1]).iloc[0].tolist() == [[0, 1]]


def test_answers_as_json_by_decoder() -> None:
    rows = pd.DataFrame({"x": [1, 2, 3]})
    classes = decoder_from_spec({"decoder": "classes", "column": "label", "classes": ["a", "b", "c"]})
    found = answer_encoder("classes")(classes, LOGITS, rows, [(0, 1), (1, 3)])
    assert [a["predictions"] for a in found] == [["a"], ["b", "c"]] and found[0]["classes"] == ["a", "b", "c"]
    assert answer_encoder("masks") is answers.mask_answers and answer_encoder("boxes") is answers.box_answers
    assert answers.json_value(np.float32("nan")) is None and answers.json_value(np.int64(3)) == 3


def test_unknown_decoders_and_decoders_of_other_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="Unknown decoder 'nope'"):
        decoder_from_spec({"decoder": "nope"})
    with pytest.raises(ConfigError, match="\"decoder\" name"):
        decoder_from_spec({"classes": []})
    with pytest.raises(InputError, match="does not fit"):
        decoder_from_spec({"decoder": "classes", "labels": []})
    # A task package's own decoder: its spec names the torch-free module that registers it.
    (tmp_path / "plugged_decoder.py").write_text(
        "from automm.core.base.decoders import ClassesDecoder\n"
        "from automm.core.base.registry import DECODERS\n\n\n"
        "@DECODERS.register('test.first_class')\n"
        "class FirstClass(ClassesDecoder):\n"
        "    name = 'test.first_class'\n\n"
        "    def predict(self, outputs, rows):\n"
        "        return super().predict(outputs * 0, rows)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        decoder = decoder_from_spec({"decoder": "test.first_class", "module": "plugged_decoder", "column": "c",
                                     "classes": ["p", "q"]})
        assert decoder.predict(LOGITS[:, :2], INDEX).tolist() == ["p", "p", "p"]
    finally:
        DECODERS.unregister("test.first_class")
        sys.modules.pop("plugged_decoder", None)
    with pytest.raises(ConfigError, match="cannot be imported"):
        decoder_from_spec({"decoder": "test.other", "module": "no_such_module_here"})


def test_the_decoders_import_without_the_training_stack() -> None:
    import subprocess

    script = ("import sys\n"
              "from automm.core.base import decoding\n"
              "decoding.decoder_from_spec({'decoder': 'classes', 'column': 'y', 'classes': [0, 1]})\n"
              "print(sorted(m for m in ('torch', 'transformers', 'lightning', 'scipy') if m in sys.modules))\n")
    found = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"
