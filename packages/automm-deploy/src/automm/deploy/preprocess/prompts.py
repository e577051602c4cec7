"""Segment Anything's point / box prompt cells -> per-row ``[m, 3]`` ``(x, y, label)`` prompts in the letterboxed
input's pixels, with ``automm.core.base.prompts`` (automm-segment's own parser)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from automm.core.base.prompts import PAD, check_inside, read_prompts, to_input

from .rules import require_rules

__all__ = ["PAD", "PromptInputs"]


class PromptInputs:
    """The prompt columns of processors.json -> each row's prompts, checked and scaled to the letterboxed input."""

    def __init__(self, recipe: dict[str, Any]):
        require_rules("segmentation", recipe)
        self.point_column, self.box_column = str(recipe.get("point_column") or ""), str(recipe.get("box_column") or "")
        self.columns = [c for c in (self.point_column, self.box_column) if c]

    def parse(self, frame: pd.DataFrame) -> list[np.ndarray]:
        """Each row's ``[m, 3]`` float32 prompts in its original image's pixels.

        Raises:
            InputError: a cell that is not a prompt, naming its row and column.
        """
        return [read_prompts(frame[self.point_column].iloc[position] if self.point_column else None,
                             frame[self.box_column].iloc[position] if self.box_column else None, row,
                             self.point_column, self.box_column)
                for position, row in enumerate(frame.index)]

    def scale(self, prompts: Sequence[np.ndarray], index: pd.Index, sizes: np.ndarray, valid: np.ndarray,
              ) -> list[np.ndarray]:
        """``prompts`` (original pixels) moved onto each row's letterboxed image (``valid`` of ``sizes``).

        Raises:
            InputError: a prompt off its image, naming the row and the prompt columns.
        """
        scaled = []
        for row, prompt, size, resized in zip(index, prompts, sizes, valid):
            check_inside(prompt, int(size[0]), int(size[1]), row, self.columns)
            scaled.append(to_input(prompt, (int(size[0]), int(size[1])), (int(resized[0]), int(resized[1]))))
        return scaled
