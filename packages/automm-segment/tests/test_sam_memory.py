"""A SAM fit sizes itself to the memory it has: SAM's own batch whichever key chose it, gradient checkpointing of
the image encoder, micro-batches from the free memory, a refusal before training, a retry after a failed
allocation. Free memory is injected by monkeypatching ``sam_memory.available_bytes`` (the machine's own is what
it is)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from automm.core import MultiModalPredictor
from automm.core.errors import ConfigError
from automm.core.plugin import Config
from automm.core.training import peft_setup
from automm.segment import sam_memory
from automm.segment.backends import sam_backend as sb
from automm.segment.backends import sam_encoder
from automm.segment.backends.base import SegmenterOptions
from automm.segment.backends.conv_lora import add_conv_lora, train_adapters_only
from automm.segment.backends.sam_encoder import image_encoder
from automm.segment.config import SegmentConfig
from automm.segment.presets import CNN_OPTIM, PRESETS, SAM_OPTIM
from automm.segment.task import SegmentationTask
from automm.segment.testing.tiny_sam import save_tiny_sam

SIZE = 256  # one image's step takes megabytes


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_sam(tmp_path_factory.mktemp("sam") / "sam_vit_tiny.pth", SIZE)


class _Net(nn.Module):
    """Core's network wrapper as the task's training hook sees it: the segmenter is ``model``."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model


def _segmenter(checkpoint: Path, peft: str = "lora") -> nn.Module:
    model = sb.build(SegmenterOptions("custom", num_classes=1, image_size=SIZE, checkpoint=str(checkpoint)))
    if peft == "conv_lora":
        add_conv_lora(model.backbone, 4)
        train_adapters_only(model)
    else:
        peft_setup.apply_peft(_Net(model), peft, 4)
    return model


def _config(checkpoint: Path, batch_size: int = 4, **task: object) -> Config:
    return Config(optim=dataclasses.replace(SAM_OPTIM, batch_size=batch_size),
                  task=SegmentConfig(checkpoint=str(checkpoint), **task)).override({"env.accelerator": "cpu"})


def _configured(preset: str, overrides: dict[str, object]) -> Config:
    """The Config a fit trains with: the preset, the overrides, then the task's ``configure`` (as core's fit)."""
    config = PRESETS[preset].override(overrides)
    task = SegmentationTask("semantic_segmentation", None)  # type: ignore[arg-type]  (configure reads no codec)
    return task.configure(config, overrides)[1]


def _images(batch: int) -> torch.Tensor:
    return torch.rand(batch, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(1))


def test_sam_through_the_alias_on_the_default_preset_trains_with_sams_settings() -> None:
    alias = {"model.sam.checkpoint_name": "sam_vit_b_01ec64.pth", "optim.peft": "lora"}
    assert _configured("medium_quality", alias).optim == SAM_OPTIM  # batch 4, not the U-Net's 8
    assert _configured("medium_quality", {"task.checkpoint": "x.pth", "task.backend": "sam"}).optim == SAM_OPTIM
    assert _configured("high_quality", {}).optim == SAM_OPTIM
    mine = _configured("medium_quality", {**alias, "optim.batch_size": 2, "optim.lr": 3e-4,
                                          "optim.max_epochs": 5}).optim
    assert (mine.batch_size, mine.lr, mine.max_epochs) == (2, 3e-4, 5)  # what the user set wins
    assert mine.weight_decay == SAM_OPTIM.weight_decay and mine.peft == "lora"
    assert _configured("medium_quality", {"model.sam.checkpoint_name": "x.pth", "optim.peft": "none"}).optim.peft \
        == "none"
    conv = _configured("medium_quality", {"model.sam.checkpoint_name": "x.pth", "optim.peft": "conv_lora"})
    assert conv.task.conv_lora and conv.optim.peft == "none"  # Conv-LoRA's adapters, no LoRA besides
    assert _configured("medium_quality", {}).optim == CNN_OPTIM  # the U-Net keeps its own


@pytest.mark.parametrize("peft", ["lora", "conv_lora"])
def test_checkpointing_is_on_by_default_and_gives_the_adapters_the_same_gradients(
        checkpoint: Path, peft: str, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _segmenter(checkpoint, peft)
    monkeypatch.setattr(sam_memory, "available_bytes", lambda device: 1 << 50)
    assert sam_memory.fit_memory(model, _config(checkpoint)) == 0  # everything fits: whole batches
    assert image_encoder(model).checkpointing
    image_encoder(model).micro_batch = 1
    calls = []
    real = sam_encoder.checkpoint
    monkeypatch.setattr(sam_encoder, "checkpoint", lambda *args, **kw: calls.append(1) or real(*args, **kw))
    adapters = {name: param for name, param in model.named_parameters()
                if param.requires_grad and ("lora" in name)}
    assert adapters

    def gradients() -> dict[str, torch.Tensor]:
        model.train()
        model(_images(2)).square().mean().backward()
        found = {name: param.grad.clone() for name, param in adapters.items()}
        model.zero_grad(set_to_none=True)
        return found

    checkpointed = gradients()
    assert len(calls) == 2 * len(image_encoder(model).blocks)  # every block, one image at a time
    image_encoder(model).checkpointing = False
    plain = gradients()
    assert any(grad.abs().sum() > 0 for grad in checkpointed.values())  # LoRA's B (Conv-LoRA's up) starts at 0
    for name, grad in plain.items():
        torch.testing.assert_close(checkpointed[name], grad, rtol=1e-4, atol=1e-6)


def test_small_free_memory_runs_the_encoder_fewer_images_at_a_time(checkpoint: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    model = _segmenter(checkpoint)
    per_image = sam_memory.measure_step(model, torch.device("cpu"), "32-true")
    assert per_image is not None and per_image > 1024**2  # megabytes of activations
    monkeypatch.setattr(sam_memory, "available_bytes", lambda device: int(2.5 * per_image / sam_memory.SAFETY))
    micro_batch = sam_memory.fit_memory(model, _config(checkpoint, batch_size=4))
    assert 1 <= micro_batch < 4 and image_encoder(model).micro_batch == micro_batch
    monkeypatch.setattr(sam_memory, "available_bytes", lambda device: 1 << 50)
    assert sam_memory.fit_memory(model, _config(checkpoint, batch_size=4)) == 0


def test_without_checkpointing_every_image_costs_its_whole_step(checkpoint: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    model = _segmenter(checkpoint)
    per_image = sam_memory.measure_step(model, torch.device("cpu"), "32-true")
    monkeypatch.setattr(sam_memory, "available_bytes", lambda device: int(2.5 * per_image / sam_memory.SAFETY))
    with pytest.raises(ConfigError, match="leave task.gradient_checkpointing on"):
        sam_memory.fit_memory(model, _config(checkpoint, batch_size=8, gradient_checkpointing=False))
    assert not image_encoder(model).checkpointing


def test_an_allocation_failure_retries_with_half_the_images(checkpoint: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    model = _segmenter(checkpoint)
    image_encoder(model).checkpointing = True
    model.train()
    expected = model(_images(4))
    block = image_encoder(model).blocks[0]
    real = block.forward
    failures = []

    def forward(tokens: torch.Tensor) -> torch.Tensor:
        if len(tokens) > 2:
            failures.append(len(tokens))
            raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory")
        return real(tokens)

    monkeypatch.setattr(block, "forward", forward)
    torch.testing.assert_close(model(_images(4)), expected)
    assert failures == [4] and image_encoder(model).micro_batch == 2
    image_encoder(model).micro_batch = 1
    monkeypatch.setattr(block, "forward", lambda tokens: (_ for _ in ()).throw(RuntimeError("CUDA out of memory")))
    with pytest.raises(RuntimeError, match="out of memory"):  # one image at a time failing: nothing smaller to try
        model(_images(2))


def test_a_fit_that_cannot_fit_is_refused_before_training_and_the_saved_predictor_stays(
        checkpoint: Path, train_table: pd.DataFrame, test_table: pd.DataFrame, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "sam"
    hyperparameters = {"model.sam.checkpoint_name": str(checkpoint), "task.image_size": SIZE,
                       "optim.max_steps": 1, "optim.top_k": 1, "env.accelerator": "cpu"}
    predictor = MultiModalPredictor(problem_type="semantic_segmentation", label="label", path=str(path),
                                    hyperparameters=hyperparameters)
    predictor.fit(train_table.head(8), tuning_data=train_table.tail(4))
    assert predictor.fit_summary["steps"] == 1 and predictor.state.config.optim.batch_size == SAM_OPTIM.batch_size
    before = predictor.predict(test_table.head(2))
    monkeypatch.setattr(sam_memory, "available_bytes", lambda device: 1024**2)
    again = MultiModalPredictor.load(str(path))
    with pytest.raises(ConfigError, match=r"SAM custom at 256 px needs ~.* MiB per image.*lower task.image_size"):
        again.fit(train_table.head(8), tuning_data=train_table.tail(4))
    assert not list(path.rglob("*.ckpt"))  # no training step ran
    for mask, kept in zip(MultiModalPredictor.load(str(path)).predict(test_table.head(2)), before):
        np.testing.assert_array_equal(mask, kept)
