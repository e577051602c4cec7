"""A semantic segmenter (automm-segment's U-Net) exported and run torch-free gives the torch predictor's masks."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

pytest.importorskip("automm.segment")

from automm.core import MultiModalPredictor  # noqa: E402
from automm.deploy import export, load  # noqa: E402
from automm.deploy.errors import InputError  # noqa: E402
from automm.deploy.http_api import PredictRequest, RowService  # noqa: E402
from automm.deploy.masks import SegmentationDecoder  # noqa: E402
from automm.deploy.testing import JSON, answer_masks, body_of, call, request_rows, serving  # noqa: E402
from automm.segment.ingest import read_segmentation_data  # noqa: E402
from automm.segment.masks import MaskCodec  # noqa: E402
from automm.segment.testing.composite import make_composited_segmentation  # noqa: E402

from .conftest import artefact_case  # noqa: E402

# timm's tiny test EfficientNet under smp's U-Net at a 64-pixel input: a fit takes seconds.
TINY = {"task.encoder": "test_efficientnet", "model.image.pretrained": False, "task.image_size": 64,
        "optim.max_epochs": 2, "optim.batch_size": 8, "optim.lr": 1e-3, "env.eval_batch_size": 16}


@pytest.fixture(scope="module")
def segmenter_export(segmenter: tuple, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export(segmenter[0], tmp_path_factory.mktemp("exported") / "segmenter")


@pytest.fixture(scope="module")
def segmenter(tmp_path_factory: pytest.TempPathFactory) -> tuple[MultiModalPredictor, pd.DataFrame]:
    """A U-Net fitted on 16 composited images (real digit glyphs on real photos, 0/255 masks), and 8 test rows of
    varied sizes."""
    folder = tmp_path_factory.mktemp("composited")
    options = {"object_size": (20, 40), "max_objects": 2, "background": "all"}
    make_composited_segmentation(folder, 16, split_name="train", seed=0, image_size=(80, 96), **options)
    make_composited_segmentation(folder, 4, split_name="test", seed=1, image_size=(90, 70), **options)
    make_composited_segmentation(folder, 4, split_name="wide", seed=2, image_size=(50, 120), **options)
    predictor = MultiModalPredictor(problem_type="semantic_segmentation", label="label", hyperparameters=TINY,
                                    path=tmp_path_factory.mktemp("segmenter") / "p")
    predictor.fit(str(folder / "train.csv"), seed=0)
    test = pd.concat([read_segmentation_data(folder / f"{name}.csv", "test") for name in ("test", "wide")])
    return predictor, test.reset_index(drop=True)[["image"]]


def test_masks_and_probabilities_equal_the_torch_predictor(segmenter: tuple, tmp_path: Path) -> None:
    predictor, rows = segmenter
    model = load(export(predictor, tmp_path / "segmenter"))
    masks, expected = model.predict(rows), predictor.predict(rows)
    assert masks.name == expected.name and masks.index.equals(expected.index)
    equal = sum(int((m == e).sum()) for m, e in zip(masks, expected))
    assert all(m.shape == e.shape and m.dtype == e.dtype for m, e in zip(masks, expected))
    assert equal / sum(e.size for e in expected) >= 0.9999
    proba, expected_proba = model.predict_proba(rows), predictor.predict_proba(rows)
    assert list(proba.columns) == list(expected_proba.columns) == ["0", "255"]
    for column in proba.columns:
        for found, wanted in zip(proba[column], expected_proba[column]):
            np.testing.assert_allclose(found, wanted, atol=1e-3)  # float16 maps: one step is ~5e-4 near 1


def test_a_server_sends_base64_images(segmenter: tuple, tmp_path: Path) -> None:
    predictor, rows = segmenter
    folder = export(predictor, tmp_path / "segmenter")
    encoded = rows.assign(image=[base64.b64encode(Path(p).read_bytes()).decode() for p in rows["image"]])
    served = load(folder, allow_paths=False)
    for found, wanted in zip(served.predict(encoded.head(2)), load(folder).predict(rows.head(2))):
        np.testing.assert_array_equal(found, wanted)
    with pytest.raises(InputError, match=r"Column 'image', row 0: .* base64"):
        served.predict(rows.head(1))


def png_pixels(image: Image.Image) -> tuple[str, np.ndarray, list[int] | None]:
    """A mask image as a PNG reads back: mode, pixels, palette."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    with Image.open(buffer) as read:
        return read.mode, np.asarray(read), read.getpalette()


CODECS = {  # name -> automm-segment's mask encoding of the training masks
    "0/255": MaskCodec("values", (0, 255)),
    "threshold": MaskCodec("threshold", (0, 255)),
    "zero-shot": MaskCodec.any_binary(),
    "grey levels": MaskCodec("values", (0, 3, 80, 200)),
    "palette": MaskCodec("values", (0, 1, 2), tuple(np.random.default_rng(0).integers(0, 256, 768).tolist())),
    "colours": MaskCodec("colours", (0x000000, 0x00ff00, 0xff0000)),
    "16 bit": MaskCodec("values", (0, 300, 1000)),
}


@pytest.mark.parametrize("name", list(CODECS))
def test_mask_pngs_are_automm_segments(name: str) -> None:
    """The runtime writes a mask PNG as automm-segment's save_results does, in each encoding of training masks."""
    codec = CODECS[name]
    decoder = SegmentationDecoder({"codec": codec.to_json()})
    mask = np.random.default_rng(1).integers(0, codec.num_classes, (9, 13)).astype(np.uint8)
    answer = {"predictions": [{"mask": base64.b64encode(decoder.png(mask)).decode(), "height": 9, "width": 13}],
              "classes": decoder.classes}
    np.testing.assert_array_equal(answer_masks(answer)[0], mask)
    with Image.open(io.BytesIO(decoder.png(mask))) as image:
        found = png_pixels(image)
    expected = png_pixels(codec.to_image(mask))
    assert found[0] == expected[0] and found[2] == expected[2]
    np.testing.assert_array_equal(found[1], expected[1])


def test_a_server_answers_masks_as_pngs(segmenter_export: Path, segmenter: tuple) -> None:
    """Two requests answered together: each row's mask exactly the runtime's, no probability maps."""
    rows = segmenter[1]
    service = RowService(segmenter_export)
    requests = [request_rows(rows.head(3)), request_rows(rows.tail(5))]
    answers = [json.loads(service.encode(answer).body)
               for answer in service.answer_all([service.decode(PredictRequest(rows=r)) for r in requests])]
    masks = load(segmenter_export).predict(rows)
    assert [set(answer) for answer in answers] == [{"predictions", "classes"}] * 2
    assert answers[0]["classes"] == ["0", "255"]
    found = answer_masks(answers[0]) + answer_masks(answers[1])
    assert len(found) == len(masks) and len({m.shape for m in masks}) > 1
    for mine, wanted in zip(found, masks):
        np.testing.assert_array_equal(mine, wanted)
    assert {int(v) for m in found for v in np.unique(m)} == {0, 1}


def test_the_server_answers_a_segmenter_end_to_end(segmenter_export: Path, segmenter: tuple) -> None:
    rows = segmenter[1].head(2)
    with serving(segmenter_export, "--workers", "1") as port:
        status, found = call(port, "POST", "/predict", body_of(request_rows(rows)), JSON)
    assert status == 200, found
    for mine, wanted in zip(answer_masks(found), load(segmenter_export).predict(rows), strict=True):
        np.testing.assert_array_equal(mine, wanted)


def test_write_artefacts_for_the_runtime_only_session(segmenter: tuple, tmp_path: Path) -> None:
    """The export, its rows and the torch predictor's masks, for nox's runtime-only environment."""
    predictor, rows = segmenter
    case = artefact_case("segmenter", export(predictor, tmp_path / "segmenter"), rows)
    np.savez(case / "masks.npz", *predictor.predict(rows))
    assert len(np.load(case / "masks.npz").files) == len(rows)
