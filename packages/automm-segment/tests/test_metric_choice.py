"""Segmentation metrics under eval_metric=: a binary-mask metric on multi-class masks falls back to IoU."""

from __future__ import annotations

import numpy as np

from automm.core.metric_choice import choose, for_validation
from automm.segment.masks import MaskCodec
from automm.segment.task import SegmentationTask


def test_binary_only_metrics_fall_back_on_multiclass_masks() -> None:
    binary = SegmentationTask("semantic_segmentation", MaskCodec("values", (0, 255)))
    binary.chosen_metrics = choose("semantic_segmentation", "BER", None)
    assert for_validation(binary, np.zeros(2)) == ("ber", False)
    several = SegmentationTask("semantic_segmentation", MaskCodec("colours", (0, 0xFF0000, 0xFF)))
    several.chosen_metrics = choose("semantic_segmentation", "sm", None)
    assert for_validation(several, np.zeros(2)) == ("iou", True)
    assert several.default_metric_names() == ["iou", "accuracy"]
