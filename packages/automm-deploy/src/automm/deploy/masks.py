"""The masks decoder under the name automm-deploy 0.2 gave it, built from a segmentation task's JSON; the decoding
itself (probability maps, class-index masks, mask PNGs) is ``automm.core.base.masks``'."""

from __future__ import annotations

from typing import Any

from automm.core.base.masks import MasksDecoder


class SegmentationDecoder(MasksDecoder):
    """``MasksDecoder`` of a task JSON ``{"codec": ..., "threshold": ...}`` (as automm-segment saves it)."""

    def __init__(self, task: dict[str, Any]):
        super().__init__(task["codec"], float(task.get("threshold", 0.5)))
