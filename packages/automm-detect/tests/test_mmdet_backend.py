"""The mmdet backend on mmdet's bundled YOLOX-tiny config (random init, 128 px), plus one slow DINO step."""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import statistics

import pytest

pytest.importorskip("mmdet")

import mmengine  # noqa: E402
import torch  # noqa: E402

from automm.core.errors import CheckpointNotFoundError, ConfigError  # noqa: E402
from automm.detect.backends import mmdet_backend as mb  # noqa: E402
from automm.detect.backends.base import BACKENDS, DetectorOptions  # noqa: E402

SIZE = 128
YOLOX = "yolox_tiny_8xb8-300e_coco"


def _options(**kw: object) -> DetectorOptions:
    base = {"architecture": YOLOX, "num_classes": 3, "image_size": SIZE, "min_score": 1e-5, "max_detections": 20}
    return BACKENDS.get("mmdet").prepare(DetectorOptions(**{**base, **kw}))


def _batch() -> tuple[torch.Tensor, list[dict[str, torch.Tensor]]]:
    images = torch.full((2, 3, SIZE, SIZE), 0.2)
    images[0, :, 30:90, 40:100] = 0.9
    images[1, :, 10:50, 10:120] = 0.6
    targets = [
        {"boxes": torch.tensor([[40.0, 30.0, 100.0, 90.0]]), "labels": torch.tensor([1])},
        {"boxes": torch.tensor([[10.0, 10.0, 120.0, 50.0]]), "labels": torch.tensor([2])},
    ]
    return images, targets


@pytest.fixture(scope="module")
def options() -> DetectorOptions:
    return _options()


def test_prepare_stores_json_model_config(options: DetectorOptions) -> None:
    model_cfg = options.extra["model_config"]
    assert json.loads(json.dumps(options.extra))["model_config"] == model_cfg
    assert model_cfg["type"] == "YOLOX" and model_cfg["bbox_head"]["num_classes"] == 3
    assert "batch_augments" not in model_cfg["data_preprocessor"]
    assert model_cfg["test_cfg"]["score_thr"] == 1e-5 and model_cfg["test_cfg"]["max_per_img"] == 20


def test_eval_output_format(options: DetectorOptions) -> None:
    torch.manual_seed(0)
    model = BACKENDS.get("mmdet").build(options).eval()
    images, _ = _batch()
    with torch.no_grad():
        outputs = model(images)
        features = model.features(images)
    assert features.shape == (2, model.feature_size) and model.feature_size > 0
    assert len(outputs) == 2
    for out in outputs:
        k = len(out["scores"])
        assert 0 < k <= options.max_detections
        assert out["boxes"].shape == (k, 4) and out["labels"].dtype == torch.long
        assert out["boxes"].min() >= 0 and out["boxes"].max() <= SIZE
        assert (out["scores"] >= options.min_score).all()
        assert (out["scores"][:-1] >= out["scores"][1:]).all()
        assert ((out["labels"] >= 0) & (out["labels"] < 3)).all()


def test_train_step_gives_finite_losses_that_backpropagate(options: DetectorOptions) -> None:
    torch.manual_seed(0)
    model = BACKENDS.get("mmdet").build(options).train()
    images, targets = _batch()
    targets[1] = {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.long)}  # an image with no box
    losses = model(images, targets)
    assert losses and all("loss" in k and v.dim() == 0 and torch.isfinite(v) for k, v in losses.items())
    sum(losses.values()).backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.detector.backbone.parameters())


def test_sgd_steps_on_one_image_lower_the_loss(options: DetectorOptions) -> None:
    torch.manual_seed(0)
    model = BACKENDS.get("mmdet").build(options).train()
    images, targets = _batch()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.002, momentum=0.9)
    history = []
    for _ in range(12):
        loss = sum(model(images[:1], targets[:1]).values())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(loss.item())
    assert all(math.isfinite(v) for v in history)
    assert statistics.median(history[-6:]) < 0.8 * history[0], history  # SimOTA re-assigns: the loss is spiky


def test_rebuild_from_stored_model_config_alone(options: DetectorOptions, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = BACKENDS.get("mmdet")
    torch.manual_seed(0)
    fitted = backend.build(options).eval()
    saved = json.loads(json.dumps(dataclasses.asdict(options)))

    def no_config_files(*args: object, **kw: object) -> None:
        raise AssertionError("build read a config file")

    monkeypatch.setattr(mmengine.Config, "fromfile", no_config_files)
    saved["architecture"] = "a-name-that-resolves-to-nothing"
    loaded = backend.build(DetectorOptions(**{**saved, "pretrained": False}))
    loaded.load_state_dict(fitted.state_dict())
    loaded.eval()
    images, _ = _batch()
    with torch.no_grad():
        expected, actual = fitted(images), loaded(images)
    for a, b in zip(expected, actual, strict=True):
        for key in ("boxes", "scores", "labels"):
            torch.testing.assert_close(a[key], b[key], rtol=0, atol=0)


def test_unknown_config_name_suggests_the_closest() -> None:
    with pytest.raises(ConfigError, match='Did you mean "yolox_s_8xb8-300e_coco"'):
        _options(architecture="yolox_s_8xb8-300e_cocoo")
    with pytest.raises(ConfigError, match="prepare"):
        BACKENDS.get("mmdet").build(DetectorOptions(architecture=YOLOX, num_classes=3, image_size=SIZE))


def test_build_refuses_types_from_unknown_scopes(options: DetectorOptions) -> None:
    model_cfg = json.loads(json.dumps(options.extra["model_config"]))
    model_cfg["backbone"]["type"] = "somepackage.Backbone"
    with pytest.raises(ConfigError, match="unknown scope"):
        BACKENDS.get("mmdet").build(dataclasses.replace(options, extra={"model_config": model_cfg}))


def test_checkpoint_loads_matching_tensors_and_skips_the_class_head(tmp_path, options: DetectorOptions) -> None:
    backend = BACKENDS.get("mmdet")
    torch.manual_seed(1)
    coco = backend.build(_options(num_classes=80))
    path = tmp_path / "yolox_coco.pth"
    torch.save({"state_dict": coco.detector.state_dict(), "meta": {"epoch": 300}}, path)

    with_coco = _options(num_classes=80, extra={"checkpoint": str(path)})
    assert backend.pretrained_classes(with_coco)[:2] == ["person", "bicycle"]
    assert len(backend.pretrained_classes(with_coco)) == 80
    three = dataclasses.replace(options, extra={**options.extra, "checkpoint": str(path)})
    assert backend.pretrained_classes(three) is None

    torch.manual_seed(2)
    model = backend.build(three)
    own, source = model.detector.state_dict(), coco.detector.state_dict()
    torch.testing.assert_close(own["backbone.stem.conv.conv.weight"], source["backbone.stem.conv.conv.weight"])
    assert own["bbox_head.multi_level_conv_cls.0.weight"].shape[0] == 3
    with pytest.raises(CheckpointNotFoundError, match="does not exist"):
        backend.build(dataclasses.replace(three, extra={**three.extra, "checkpoint": str(tmp_path / "missing.pth")}))


def test_prepare_strips_downloading_init_cfg(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger=mb.__name__):
        options = _options(architecture="dino-4scale_r50_8xb2-12e_coco", image_size=224)
    assert "Pretrained" not in json.dumps(options.extra["model_config"])
    assert options.extra["model_config"]["bbox_head"]["num_classes"] == 3
    assert "random init" in caplog.text


@pytest.mark.slow
def test_dino_train_step_and_eval() -> None:
    # DINO needs at least num_queries (900) feature tokens: image_size >= ~210 for its 4 levels (strides 8..64).
    options = _options(architecture="dino-4scale_r50_8xb2-12e_coco", image_size=224)
    torch.manual_seed(0)
    model = BACKENDS.get("mmdet").build(options).train()
    images = torch.rand(2, 3, 224, 224)
    _, targets = _batch()
    losses = model(images, targets)
    assert all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    with torch.no_grad():
        outputs = model.eval()(images)
    assert len(outputs) == 2 and outputs[0]["boxes"].shape[1] == 4


def test_predictor_fits_saves_and_reloads_an_mmdet_yolox(train_json, test_json, tmp_path) -> None:
    """Through MultiModalPredictor: fit, predict, save, and a reload that builds from network.json alone."""
    from automm.core import MultiModalPredictor

    from .conftest import TINY

    settings = {**TINY, "task.backend": "mmdet", "task.architecture": YOLOX, "task.image_size": SIZE,
                "task.min_score": 1e-5, "optim.max_epochs": 1}
    predictor = MultiModalPredictor(problem_type="object_detection", hyperparameters=settings,
                                    path=tmp_path / "yolox").fit(str(train_json))
    predicted = predictor.predict(str(test_json))
    assert len(predicted) == 8 and "map" in predictor.evaluate(str(test_json))
    network = json.loads((tmp_path / "yolox" / "network.json").read_text())
    assert network["options"]["extra"]["model_config"]["type"] == "YOLOX"
    assert MultiModalPredictor.load(tmp_path / "yolox").predict(str(test_json)).equals(predicted)
