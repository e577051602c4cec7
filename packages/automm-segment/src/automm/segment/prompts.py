"""Segment Anything's prompts as torch tensors: a batch pads its rows' ``[m, 3]`` prompts (read by
``automm.core.base.prompts``) to ``[B, N, 3]`` with ``PAD`` entries."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from automm.core.base.prompts import (
    BACKGROUND,
    BOTTOM_RIGHT,
    FOREGROUND,
    PAD,
    TOP_LEFT,
    check_inside,
    parse_box,
    parse_points,
    read_prompts,
    row_prompts,
    to_input,
    transform,
)

__all__ = ["BACKGROUND", "BOTTOM_RIGHT", "FOREGROUND", "PAD", "TOP_LEFT", "batch_prompts", "check_inside",
           "parse_box", "parse_points", "prompt_counts", "read_prompts", "row_prompts", "to_input", "transform"]


def batch_prompts(rows: Sequence[np.ndarray]) -> torch.Tensor:
    """Rows of ``[m_i, 3]`` prompts -> ``[B, max m_i, 3]``, padded with ``PAD`` entries."""
    length = max(len(prompts) for prompts in rows)
    batch = torch.zeros(len(rows), length, 3)
    batch[..., 2] = PAD
    for i, prompts in enumerate(rows):
        batch[i, : len(prompts)] = torch.from_numpy(prompts)
    return batch


def prompt_counts(prompts: torch.Tensor) -> torch.Tensor:
    """``[B]``: each row's own prompt count in a ``[B, N, 3]`` batch, without the batch's trailing padding (a row
    without a box keeps its one padding entry)."""
    labels = prompts[..., 2]
    positions = torch.arange(1, labels.shape[1] + 1, device=labels.device)
    last = ((labels != PAD) * positions).amax(dim=1)  # 1-based position of the last real prompt, 0 if none
    has_box = (labels == BOTTOM_RIGHT).any(dim=1)
    return torch.where(has_box, last, last + 1)
