"""A semantic segmenter (automm-segment's U-Net) exported and run torch-free gives the torch predictor's masks."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("automm.segment")

from automm.core import MultiModalPredictor  # noqa: E402
from automm.deploy import export, load  # noqa: E402
from automm.deploy.errors import InputError  # noqa: E402
from automm.segment.ingest import read_segmentation_data  # noqa: E402
from automm.segment.testing.composite import make_composited_segmentation  # noqa: E402

from .conftest import artefact_case  # noqa: E402

# timm's tiny test EfficientNet under smp's U-Net at a 64-pixel input: a fit takes seconds.
TINY = {"task.encoder": "test_efficientnet", "model.image.pretrained": False, "task.image_size": 64,
        "optim.max_epochs": 2, "optim.batch_size": 8, "optim.lr": 1e-3, "env.eval_batch_size": 16}


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


def test_write_artefacts_for_the_runtime_only_session(segmenter: tuple, tmp_path: Path) -> None:
    """The export, its rows and the torch predictor's masks, for nox's runtime-only environment."""
    predictor, rows = segmenter
    case = artefact_case("segmenter", export(predictor, tmp_path / "segmenter"), rows)
    np.savez(case / "masks.npz", *predictor.predict(rows))
    assert len(np.load(case / "masks.npz").files) == len(rows)
