"""The segmenter decodes through core's torch-free masks decoder, rebuilt from the task's spec JSON as an export
carries it (probability maps against torch's interpolation: ``automm-core``'s tests/test_base_decoders.py)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import torch

from automm.core.base.decoding import decoder_from_spec
from automm.segment.masks import MaskCodec
from automm.segment.network import probabilities
from automm.segment.task import SegmentationTask


def test_masks_decoder_is_the_tasks() -> None:
    for codec, threshold in ((MaskCodec("values", (0, 255)), 0.3), (MaskCodec("colours", (0, 0xFF0000, 0xFF)), 0.5)):
        task = SegmentationTask("semantic_segmentation", codec, threshold)
        decoder = decoder_from_spec(json.loads(json.dumps(task.decoder_spec())))
        logits = torch.randn(2, 1 if codec.binary else 3, 16, 16, generator=torch.Generator().manual_seed(0))
        outputs = [probabilities(row, torch.tensor([16, 12]), torch.tensor([20, 9])).numpy() for row in logits]
        index = pd.Index(["x", "y"])
        pd.testing.assert_series_equal(decoder.predict(outputs, index), task.predict(outputs, index))
        pd.testing.assert_frame_equal(decoder.predict_proba(outputs, index), task.predict_proba(outputs, index))
        assert decoder.classes == codec.class_names and outputs[0].shape[1:] == (20, 9)
        mask = task.predict(outputs, index).iloc[0]
        expected = (outputs[0][1].astype(np.float32) >= threshold) if codec.binary else outputs[0].argmax(axis=0)
        assert np.array_equal(mask, expected)
