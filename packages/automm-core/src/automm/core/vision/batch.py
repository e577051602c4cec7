"""One batch type for letterboxed images: the pixels, and what maps outputs back to each original image."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, TypeVar

import torch

BatchT = TypeVar("BatchT", bound="LetterboxBatch")


@dataclass
class LetterboxBatch:
    """Letterboxed images, their original sizes and where each resized image lies inside the input.

    Task packages subclass it to add their own fields (detection's training boxes, segmentation's prompts);
    ``to`` moves every tensor, also inside lists and dicts.
    """

    images: torch.Tensor  # [B, 3, S, S] float in [0, 1]
    sizes: torch.Tensor  # [B, 2] original (height, width)
    valid: torch.Tensor  # [B, 2] (height, width) of the resized image inside the S x S input
    target: Any = None

    @property
    def scales(self) -> torch.Tensor:
        """``[B]`` input pixels per original pixel of a letterboxed (not augmented) row: ``S / max(H, W)``."""
        return self.images.shape[-1] / self.sizes.max(dim=1).values

    def to(self: BatchT, device: torch.device | str) -> BatchT:
        return dataclasses.replace(self, **{f.name: _moved(getattr(self, f.name), device)
                                            for f in dataclasses.fields(self)})

    def __len__(self) -> int:
        return len(self.images)


def _moved(value: Any, device: torch.device | str) -> Any:
    """``value`` with every tensor in it (a tensor, a list or a dict of them) on ``device``; other values as is."""
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, list):
        return [_moved(item, device) for item in value]
    if isinstance(value, dict):
        return {key: _moved(item, device) for key, item in value.items()}
    return value
