"""automm.core.vision: the letterbox layer detect and segment share (their own tests cover it end to end)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import torch

from automm.core.base.registry import Registry
from automm.core.errors import ConfigError, InputError
from automm.core.vision.backends import BackendOptions, VisionBackend, lazy_backends
from automm.core.vision.batch import LetterboxBatch
from automm.core.vision.checks import check_image_paths
from automm.core.vision.config import VisionConfig


@dataclass
class _Batch(LetterboxBatch):
    extra: list[dict[str, torch.Tensor]] | None = None


def test_batch_moves_nested_tensors_and_derives_scales() -> None:
    batch = _Batch(torch.zeros(2, 3, 64, 64), torch.tensor([[32, 128], [64, 48]]), torch.tensor([[16, 64], [64, 48]]),
                   target=["kept as is"], extra=[{"boxes": torch.ones(1, 4)}])
    moved = batch.to("cpu")
    assert isinstance(moved, _Batch) and moved.target == ["kept as is"] and len(moved) == 2
    assert torch.equal(moved.extra[0]["boxes"], torch.ones(1, 4))
    assert moved.scales.tolist() == [0.5, 1.0] and moved.scales.dtype == torch.float32


def test_lazy_backends_import_a_backend_module_once_on_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    registry: Registry[VisionBackend[BackendOptions]] = Registry("test backend")
    imported = []

    def register(name: str) -> None:  # what importing a backend module does
        imported.append(name)
        registry.register("heavy")(VisionBackend(build=lambda options: options))

    monkeypatch.setattr("importlib.import_module", register)
    backend = lazy_backends(registry, "pkg.backends", {"heavy": "heavy_backend"})
    assert backend("heavy").prepare("x") == "x" and backend("heavy") is registry.get("heavy")
    assert imported == ["pkg.backends.heavy_backend"]
    with pytest.raises(ConfigError, match="Unknown test backend 'light'"):
        backend("light")


@dataclass(frozen=True)
class _Options(BackendOptions):
    renamed = {"num_outputs": "num_classes"}


def test_options_read_older_names_and_refuse_a_bad_extra() -> None:
    options = _Options.from_json({"architecture": "a", "num_outputs": 3, "image_size": 64})
    assert options == _Options("a", 3, 64) and options.to_json()["num_classes"] == 3
    with pytest.raises(ValueError, match="extra"):
        _Options.from_json({"architecture": "a", "num_classes": 3, "image_size": 64, "extra": []})


@dataclass(frozen=True)
class _Config(VisionConfig):
    backend_names = ("one",)
    backend: str = "one"
    image_size: int = 64


def test_vision_config_checks_the_shared_settings() -> None:
    assert _Config().scale_jitter == (0.75, 1.25) and _Config().backbone == "tf_efficientnet_lite0"
    for bad, match in (({"backend": "two"}, "task.backend"), ({"image_size": 48}, "task.image_size"),
                       ({"image_size": 0}, "task.image_size"), ({"scale_jitter_min": 2.0}, "task.scale_jitter_min")):
        with pytest.raises(ConfigError, match=match):
            _Config(**bad)


def test_image_paths_must_exist(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"")
    check_image_paths(pd.DataFrame({"image": [str(tmp_path / "a.png")]}), "image", "train_data", "hint")
    missing = pd.DataFrame({"image": [str(tmp_path / "b.png")]}, index=[7])
    with pytest.raises(InputError, match=r"train_data: image .*b\.png.* at row 7 does not exist\. Fix the path \(hint"):
        check_image_paths(missing, "image", "train_data", "hint")
