"""The transformers detector backend on tiny random RT-DETR / RT-DETRv2 / D-FINE checkpoints saved to disk."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
import torch
import transformers
from safetensors.torch import load_file

from automm.core.errors import CheckpointNotFoundError, ConfigError
from automm.detect.backends import transformers_backend as tb
from automm.detect.backends.base import BACKENDS, DetectorOptions
from automm.detect.testing.tiny_detectors import COCO_NAMES, make_tiny_detr

SIZE = 64


def _options(folder: Path, num_classes: int = len(COCO_NAMES), **kw: object) -> DetectorOptions:
    return DetectorOptions(architecture=str(folder), num_classes=num_classes, image_size=SIZE, **kw)


def _images(batch: int = 2) -> torch.Tensor:
    return torch.rand(batch, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(1))


def _target() -> dict[str, torch.Tensor]:
    return {"boxes": torch.tensor([[8.0, 12.0, 40.0, 50.0]]), "labels": torch.tensor([1])}


@pytest.fixture(scope="module")
def rt_detr(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_detr(tmp_path_factory.mktemp("rt_detr"), "rt_detr")


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def _check_detections(detections: list[dict[str, torch.Tensor]], options: DetectorOptions, batch: int) -> None:
    assert len(detections) == batch
    for det in detections:
        k = len(det["scores"])
        assert k <= options.max_detections
        assert det["boxes"].shape == (k, 4) and det["labels"].shape == (k,)
        assert det["labels"].dtype == torch.long
        assert ((det["labels"] >= 0) & (det["labels"] < options.num_classes)).all()
        assert ((det["boxes"] >= 0) & (det["boxes"] <= SIZE)).all()
        assert (det["boxes"][:, 2:] >= det["boxes"][:, :2]).all()
        assert (det["scores"] >= options.min_score).all()
        assert torch.equal(det["scores"], det["scores"].sort(descending=True).values)


def test_registered() -> None:
    assert BACKENDS.get("transformers").build is tb.build


def test_eval_returns_contract_detections(rt_detr: Path) -> None:
    options = tb.prepare(_options(rt_detr, min_score=0.0, max_detections=10))
    assert options.extra["checkpoint_folder"] == str(rt_detr.resolve())
    model = tb.build(options).eval()
    with torch.no_grad():
        detections = model(_images())
        features = model.features(_images())
    _check_detections(detections, options, batch=2)
    assert all(len(det["scores"]) == 10 for det in detections)
    assert features.shape == (2, model.feature_size)

    strict = tb.build(dataclasses.replace(options, min_score=1.0)).eval()
    with torch.no_grad():
        assert all(len(det["scores"]) == 0 for det in strict(_images()))


def test_training_loss_backpropagates_and_decreases(rt_detr: Path) -> None:
    torch.manual_seed(0)
    model = tb.build(tb.prepare(_options(rt_detr))).train()
    images, targets = _images(1), [_target()]
    loss = model(_images(2), [_target(), {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.long)}])
    assert set(loss) == {"loss"} and loss["loss"].dim() == 0 and torch.isfinite(loss["loss"])
    loss["loss"].backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())

    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(8):
        optimizer.zero_grad()
        step = model(images, targets)["loss"]
        step.backward()
        optimizer.step()
        losses.append(step.item())
    assert losses[-1] < losses[0]


def test_class_count_change_reinitialises_head(rt_detr: Path) -> None:
    same = tb.prepare(_options(rt_detr))
    assert tb.pretrained_classes(same) == COCO_NAMES
    head = "model.decoder.class_embed.1.weight"
    assert torch.equal(tb.build(same).model.state_dict()[head], load_file(rt_detr / "model.safetensors")[head])

    changed = tb.prepare(_options(rt_detr, num_classes=2, min_score=0.0))
    assert tb.pretrained_classes(changed) == COCO_NAMES  # what the checkpoint detected, whatever is fitted now
    assert len(changed.extra["config"]["id2label"]) == 2
    model = tb.build(changed).eval()
    with torch.no_grad():
        detections = model(_images())
    _check_detections(detections, changed, batch=2)
    assert model.model.config.num_labels == 2


def test_rebuilds_from_extra_without_folder(rt_detr: Path, tmp_path: Path) -> None:
    folder = shutil.copytree(rt_detr, tmp_path / "ckpt")
    options = tb.prepare(_options(folder, num_classes=3, min_score=0.0))
    first = tb.build(options).eval()
    shutil.rmtree(folder)

    saved = json.loads(json.dumps(dataclasses.asdict(options)))  # as a saved predictor stores it
    rebuilt = tb.build(dataclasses.replace(DetectorOptions(**saved), pretrained=False)).eval()
    rebuilt.load_state_dict(first.state_dict())
    with torch.no_grad():
        expected, got = first(_images()), rebuilt(_images())
        assert torch.equal(first.features(_images()), rebuilt.features(_images()))
    for a, b in zip(expected, got):
        assert all(torch.equal(a[key], b[key]) for key in ("boxes", "scores", "labels"))


def test_missing_checkpoint_names_path_and_fix(tmp_path: Path) -> None:
    missing = tmp_path / "no_such_detector"
    with pytest.raises(CheckpointNotFoundError, match="task.architecture") as info:
        tb.prepare(_options(missing))
    assert str(missing) in str(info.value) and "HF_HUB_OFFLINE" in str(info.value)


def test_refuses_unsupported_model_type(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "detr"}))
    (tmp_path / "model.safetensors").write_bytes(b"")
    with pytest.raises(ConfigError, match="rt_detr"):
        tb.prepare(_options(tmp_path))


def test_reads_normalisation_from_preprocessor_config(rt_detr: Path, tmp_path: Path) -> None:
    folder = shutil.copytree(rt_detr, tmp_path / "ckpt")
    processor = {"do_normalize": True, "image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225]}
    (folder / "preprocessor_config.json").write_text(json.dumps(processor))
    options = tb.prepare(_options(folder))
    assert (options.extra["image_mean"], options.extra["image_std"]) == (
        processor["image_mean"],
        processor["image_std"],
    )
    assert tb.prepare(_options(rt_detr)).extra["image_std"] == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("model_type", ["rt_detr_v2", "d_fine"])
def test_other_architectures(model_type: str, tmp_path: Path) -> None:
    if model_type not in tb.SUPPORTED_MODEL_TYPES:
        pytest.skip(f"transformers {transformers.__version__} has no {model_type} detector")
    options = tb.prepare(_options(make_tiny_detr(tmp_path, model_type), num_classes=2, min_score=0.0))
    model = tb.build(options)
    loss = model.train()(_images(1), [_target()])["loss"]
    loss.backward()
    assert torch.isfinite(loss)
    with torch.no_grad():
        _check_detections(model.eval()(_images()), options, batch=2)
