"""Predictors saved before the shared vision layer (network.json's ``encoder`` / ``num_outputs``, the config's
``task.encoder``) load and predict as before; processors.json keeps its shape."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from automm.core.base.legacy import LETTERBOX_RULES, MASKS_RULE, PROMPTS_RULE
from automm.core.config import Config
from automm.core.models.network import spec_from_json
from automm.segment.backends.base import SegmenterOptions
from automm.segment.config import SegmentConfig
from automm.segment.masks import MaskCodec
from automm.segment.network import SegmenterSpec
from automm.segment.processor import SegmentationProcessor

# network.json and processors.json as automm-segment 0.1 wrote them (automm-core 0.4).
OLD_NETWORK = {"kind": "segmenter", "backend": "smp", "options": {
    "architecture": "unet", "num_outputs": 1, "image_size": 64, "encoder": "test_efficientnet", "checkpoint": "",
    "pretrained": False, "extra": {}}}
OLD_PROCESSORS = {"kind": "segmentation", "column": "image", "image_size": 64,
                  "codec": {"kind": "values", "values": [0, 255], "palette": None}, "augment": True,
                  "scale_jitter": [0.75, 1.25], "flip": True, "point_column": "", "box_column": "box",
                  "recipe": {**LETTERBOX_RULES, "prompts": PROMPTS_RULE, "masks": MASKS_RULE}}


def test_old_network_json_reads_with_todays_names() -> None:
    spec = spec_from_json(OLD_NETWORK)
    assert isinstance(spec, SegmenterSpec)
    assert spec.options == SegmenterOptions("unet", num_classes=1, image_size=64, backbone="test_efficientnet",
                                            pretrained=False)
    options = spec.to_json()["options"]
    assert options["num_classes"] == 1 and options["backbone"] == "test_efficientnet"
    assert "num_outputs" not in options and "encoder" not in options


def test_old_processors_json_reads_back_to_the_same_json() -> None:
    processor = SegmentationProcessor.from_json(OLD_PROCESSORS)
    assert processor == SegmentationProcessor("image", 64, codec=MaskCodec.from_json(OLD_PROCESSORS["codec"]),
                                              box_column="box")
    written = processor.to_json()
    assert written.pop("rule_version") == 1
    assert written == {k: v for k, v in OLD_PROCESSORS.items() if k not in ("kind", "recipe")}


def test_task_encoder_is_the_backbone() -> None:
    saved = Config.from_dict({"task": {"encoder": "resnet18", "image_size": 64}}, SegmentConfig())
    given = Config(task=SegmentConfig()).override({"task.encoder": "resnet18"})
    assert saved.task.backbone == given.task.backbone == "resnet18"


def test_predictor_saved_with_the_old_names_predicts_identically(fitted, test_table: pd.DataFrame,
                                                                  tmp_path: Path) -> None:
    from automm.core import MultiModalPredictor

    folder = tmp_path / "old"
    shutil.copytree(fitted.path, folder)
    network = json.loads((folder / "network.json").read_text())
    options = network["options"]
    options["num_outputs"], options["encoder"] = options.pop("num_classes"), options.pop("backbone")
    (folder / "network.json").write_text(json.dumps(network))
    meta = json.loads((folder / "predictor.json").read_text())
    meta["config"]["task"]["encoder"] = meta["config"]["task"].pop("backbone")
    (folder / "predictor.json").write_text(json.dumps(meta))
    loaded = MultiModalPredictor.load(folder)
    assert loaded.state.config.task.backbone == "test_efficientnet"
    for again, mask in zip(loaded.predict(test_table.head(4)), fitted.predict(test_table.head(4))):
        np.testing.assert_array_equal(again, mask)
