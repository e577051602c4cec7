"""Before SAM trains: gradient checkpointing of its image encoder, and micro-batches sized to the free memory.

Fine-tuning SAM ViT-B at 1024 px takes gigabytes per image (the attention maps of its global blocks), so a batch
that does not fit gets the process killed mid-fit with nothing saved. Before the first step, ``fit_memory``
measures one forward and backward pass of the built network on one image under the training settings (the
device, mixed precision, checkpointing, the adapters), reads the free memory (``automm.core.vision.memory``) and

* sets the encoder's ``micro_batch``: the most images of each ``optim.batch_size`` batch the encoder's blocks
  recompute at once that fit ``SAFETY`` of the free memory (the optimizer still steps on the whole batch);
* refuses, before anything trains, when even one image at a time does not fit, naming what would.

Memory model (per batch of ``B`` images, ``b`` at a time): ``b`` x the measured peak of one image, plus ``B - b``
x what checkpointing keeps of each other image (each block's input, and as much again for the mask decoder's
activations and the batch itself, which run on the whole batch). Without checkpointing every image costs the
measured peak.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from automm.core.errors import ConfigError
from automm.core.plugin import Config
from automm.core.vision.memory import GIB, PeakMemory, available_bytes, is_out_of_memory

from .backends.sam_encoder import CheckpointedImageEncoder, image_encoder

logger = logging.getLogger("automm")

SAFETY = 0.8  # the share of the free memory a fit plans to use: the optimizer, data loading and the allocator's slack
_KEPT_FACTOR = 2  # per image kept under checkpointing: the block inputs, and as much again (decoder, batch)


def fit_memory(model: nn.Module, config: Config) -> int:
    """Turn on gradient checkpointing of ``model``'s image encoder (unless ``task.gradient_checkpointing`` is off) and
    set its ``micro_batch`` from a measured step and the free memory; returns it (0: the whole batch at once).

    Raises:
        ConfigError: Even one image at a time does not fit the free memory (before any training step).
    """
    encoder = image_encoder(model)
    encoder.checkpointing = bool(config.task.gradient_checkpointing)
    encoder.micro_batch = 0
    device = training_device(config)
    free = None if device is None else available_bytes(device)
    if device is None or free is None:
        return 0
    per_image = measure_step(model, device, config.optim.precision)
    if per_image is None:
        return 0
    batch = config.optim.batch_size
    kept = _kept_per_image(encoder, model.image_size) if encoder.checkpointing else per_image
    budget = SAFETY * free
    fitting = [size for size in range(batch, 0, -1) if size * per_image + (batch - size) * kept <= budget]
    if not fitting:
        raise ConfigError(_refusal(model, config, device, per_image, kept, free))
    size = fitting[0]
    encoder.micro_batch = 0 if size == batch else size
    logger.info("SAM %s at %d px: about %s per image to train, %s free on %s; batches of %d run %d image(s) at a "
                "time through the encoder.", model.variant, model.image_size, _size(per_image), _size(free),
                device.type, batch, size)
    return encoder.micro_batch


def training_device(config: Config) -> torch.device | None:
    """The device Lightning trains on for ``env.accelerator``: the current GPU or the CPU; None for others."""
    accelerator = config.env.accelerator
    if accelerator in ("auto", "gpu", "cuda") and torch.cuda.is_available():
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu") if accelerator in ("auto", "cpu") else None


def measure_step(model: nn.Module, device: torch.device, precision: str) -> int | float | None:
    """Peak bytes of one training forward and backward on one random image on ``device`` (``inf`` when it does not
    fit, None when the device cannot be measured); the model's weights, gradients, mode and device are unchanged,
    and the global random state is untouched."""
    home = next(model.parameters()).device
    was_training = model.training
    images = torch.rand(1, 3, model.image_size, model.image_size, generator=torch.Generator().manual_seed(0))
    try:
        model.to(device).train()
        with PeakMemory(device) as peak, _autocast(device, precision):
            model(images.to(device)).float().square().mean().backward()
    except (RuntimeError, MemoryError) as error:
        if not is_out_of_memory(error):
            raise
        return float("inf")
    finally:
        for param in model.parameters():
            param.grad = None
        model.to(home).train(was_training)
        if device.type == "cuda":
            torch.cuda.empty_cache()
    return peak.bytes


@contextlib.contextmanager
def _autocast(device: torch.device, precision: str) -> Iterator[None]:
    """Lightning's mixed precision on a GPU (``optim.precision`` "auto" is 16-mixed there); else nothing (the CPU
    measures in float32, which bounds bfloat16 from above)."""
    dtype = {"auto": torch.float16, "16-mixed": torch.float16, "bf16-mixed": torch.bfloat16}.get(precision)
    if device.type != "cuda" or dtype is None:
        yield
        return
    with torch.autocast("cuda", dtype=dtype):
        yield


def _kept_per_image(encoder: CheckpointedImageEncoder, image_size: int) -> int:
    """Bytes checkpointing keeps per image between forward and backward (see the module's memory model)."""
    tokens = (image_size // encoder.patch_embed.proj.kernel_size[0]) ** 2
    width = encoder.neck[0].in_channels
    return _KEPT_FACTOR * len(encoder.blocks) * tokens * width * 4


def _refusal(model: Any, config: Config, device: torch.device, per_image: float, kept: float, free: int) -> str:
    """What does not fit, and the ways out."""
    need = "more than the free memory" if per_image == float("inf") else f"~{_size(per_image)}"
    settings = config.task
    fixes = ["train on a GPU" if device.type == "cpu" else "use a GPU with more memory",
             f"lower task.image_size (e.g. {max(256, model.image_size // 2)})"]
    if not settings.gradient_checkpointing:
        fixes.insert(0, "leave task.gradient_checkpointing on")
    if config.optim.batch_size > 1:
        fixes.append("lower optim.batch_size (optim.effective_batch_size keeps the batch the optimizer sees)")
    return (f"SAM {model.variant} at {model.image_size} px needs {need} per image to train (one forward and backward "
            f"measured on {device.type}) and {_size(kept)} for each other image of a batch of "
            f"{config.optim.batch_size}; {_size(free)} is free there. To fit: {', '.join(fixes)}, or free memory "
            "used by other processes. Nothing was trained.")


def _size(count: float) -> str:
    return f"{count / GIB:.1f} GiB" if count >= GIB / 10 else f"{count / 1024**2:.0f} MiB"
