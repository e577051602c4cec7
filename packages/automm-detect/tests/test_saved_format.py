"""network.json and processors.json as automm-detect 0.1 wrote them (automm-core 0.4) load and write back the
same, now that both come from automm.core.vision."""

from __future__ import annotations

from automm.core.base.legacy import BOXES_RULE, LETTERBOX_RULES
from automm.core.models.network import spec_from_json
from automm.detect.backends.base import DetectorOptions
from automm.detect.network import DetectorSpec
from automm.detect.processor import DetectionProcessor

OLD_NETWORK = {"kind": "detector", "backend": "torchvision", "options": {
    "architecture": "faster_rcnn", "num_classes": 3, "image_size": 64, "backbone": "test_efficientnet",
    "pretrained": False, "min_score": 0.0, "max_detections": 100, "extra": {"weights_path": "w.pth"}}}
OLD_PROCESSORS = {"kind": "detection", "column": "image", "image_size": 64, "augment": False,
                  "scale_jitter": [0.5, 1.5], "flip": True,
                  "recipe": {**LETTERBOX_RULES, "boxes": BOXES_RULE}}  # the prose automm-detect 0.1 wrote


def test_old_network_json_reads_and_writes_back_the_same_options() -> None:
    spec = spec_from_json(OLD_NETWORK)
    assert isinstance(spec, DetectorSpec)
    assert spec.options == DetectorOptions("faster_rcnn", 3, 64, "test_efficientnet", False, {"weights_path": "w.pth"},
                                           min_score=0.0, max_detections=100)
    assert spec.to_json() == {k: v for k, v in OLD_NETWORK.items() if k != "kind"}


def test_old_processors_json_reads_back_to_the_same_json() -> None:
    processor = DetectionProcessor.from_json(OLD_PROCESSORS)
    assert processor == DetectionProcessor("image", 64, False, (0.5, 1.5), True)
    written = processor.to_json()
    assert written.pop("rule_version") == 1
    assert written == {k: v for k, v in OLD_PROCESSORS.items() if k not in ("kind", "recipe")}
