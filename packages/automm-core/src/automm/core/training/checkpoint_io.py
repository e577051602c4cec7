"""Read Lightning checkpoints with torch's restricted unpickler only (never arbitrary code)."""

from __future__ import annotations

from pathlib import Path

import torch

from ..errors import PredictorLoadError

NET_PREFIX = "net."
COMPILED_PREFIX = "_orig_mod."  # what torch.compile's wrapper adds to the network's keys (env.compile)


def read_lightning_weights(path: Path) -> dict[str, torch.Tensor]:
    """The network's state dict from a Lightning ``.ckpt``, loaded with ``weights_only=True`` (keys as the plain
    network names them, also when it trained through ``torch.compile``)."""
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises UnpicklingError, RuntimeError, EOFError for bad files
        raise PredictorLoadError(f"Training checkpoint {str(path)!r} is damaged or unsafe: {err}") from err
    weights = {k[len(NET_PREFIX):]: v for k, v in checkpoint["state_dict"].items() if k.startswith(NET_PREFIX)}
    return {k.removeprefix(COMPILED_PREFIX): v for k, v in weights.items()}


def latest_readable_checkpoint(folder: Path) -> Path | None:
    """The newest checkpoint in ``folder`` that loads safely (a kill can leave a half-written one)."""
    if not folder.is_dir():
        return None
    candidates = sorted((p for p in folder.glob("*.ckpt") if p.is_file() and not p.is_symlink()),
                        key=lambda p: p.stat().st_mtime, reverse=True)
    return next((candidate for candidate in candidates if is_readable(candidate)), None)


def is_readable(path: Path) -> bool:
    """Whether ``path`` is a regular checkpoint file that torch's restricted unpickler accepts."""
    if path.is_symlink() or not path.is_file():
        return False
    try:
        torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception:  # damaged (a kill mid-write) or unsafe (arbitrary objects)
        return False
    return True


def checkpoint_progress(path: Path) -> tuple[int, int]:
    """(epoch, optimizer step) at which a Lightning checkpoint was written."""
    checkpoint = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    return int(checkpoint.get("epoch", 0)), int(checkpoint.get("global_step", 0))
