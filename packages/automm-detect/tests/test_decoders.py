"""The detector decodes through core's torch-free boxes decoder, rebuilt from the task's spec JSON as an export
carries it (``to_original`` against the torch computation: ``automm-core``'s tests/test_base_decoders.py)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from automm.core.base.decoding import decoder_from_spec
from automm.detect.task import DetectionTask


def test_boxes_decoder_is_the_tasks() -> None:
    task = DetectionTask("object_detection", ["cat", "dog"])
    decoder = decoder_from_spec(json.loads(json.dumps(task.decoder_spec())))
    detections = [{"boxes": np.asarray([[1.234, 2.0, 30.5, 40.0], [0, 0, 5, 5]], np.float32),
                   "scores": np.asarray([0.9, 0.4], np.float32), "labels": np.asarray([1, 0])},
                  {"boxes": np.zeros((0, 4), np.float32), "scores": np.zeros(0), "labels": np.zeros(0, int)}]
    rows = pd.DataFrame({"image": ["a.png", "b.png"]}, index=[3, 4])
    expected = task.predict_rows(detections, rows)
    pd.testing.assert_frame_equal(decoder.predict(detections, rows), expected)
    assert expected.loc[3, "bboxes"][0] == {"class": "dog", "score": float(np.float32(0.9)),
                                            "bbox": [1.23, 2.0, 30.5, 40.0]}
    assert task.predict(detections, rows.index).tolist() == expected["bboxes"].tolist()
    xywh = task.predict_rows(detections, rows, bbox_format="xywh")
    assert xywh.loc[3, "bboxes"][0]["bbox"] == [1.23, 2.0, 29.27, 38.0]
