"""automm.core.base: torch-free, versioned by integers, and read by the torch processors."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import pytest

import automm.core.base
from automm.core.base import legacy
from automm.core.base.rules import RULE_VERSIONS, check_rule_version, rule_version
from automm.core.data.images import ImageProcessor
from automm.core.data.tabular import CategoricalProcessor, NumericalProcessor
from automm.core.errors import MissingExtraError, PredictorLoadError, RuleVersionError, require_training_stack

FRAMEWORKS = ("torch", "torchvision", "lightning", "transformers", "timm", "peft")


def test_every_base_module_imports_without_a_framework() -> None:
    names = [f"automm.core.base.{m.name}" for m in pkgutil.iter_modules(automm.core.base.__path__)]
    assert {"automm.core.base.images", "automm.core.base.rules", "automm.core.base.legacy"} <= set(names)
    code = (f"import importlib, sys; [importlib.import_module(n) for n in {names!r}]; "
            f"print(json.dumps([m for m in {FRAMEWORKS!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", "import json; " + code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


IMAGE = {"columns": ["i"], "kinds": ["image_path"], "size": 32, "mean": [0.5] * 3, "std": [0.5] * 3}


def test_processors_write_integer_rule_versions() -> None:
    assert ImageProcessor.from_json(IMAGE).to_json()["rule_version"] == RULE_VERSIONS["image"]
    numerical = NumericalProcessor(["x"], [0.0], [0.0], [1.0])
    assert numerical.to_json()["rule_version"] == RULE_VERSIONS["numerical"]
    assert CategoricalProcessor(["c"], [["a"]]).to_json()["rule_version"] == RULE_VERSIONS["categorical"]
    assert "rules" not in ImageProcessor.from_json(IMAGE).to_json()


@pytest.mark.parametrize(("family", "data"), [
    ("image", {"rules": legacy.IMAGE_RULES}),
    ("image", {}),  # saved before the rules were stored (format version 1)
    ("text", {"rules": legacy.TEXT_RULES}),
    ("numerical", {"missing": "median"}),
    ("categorical", {"unknown_id": 0, "strings": legacy.CATEGORY_STRINGS}),
    ("detection", {"recipe": {**legacy.LETTERBOX_RULES, "boxes": legacy.BOXES_RULE}}),
    ("detection", {"recipe": {**legacy.LETTERBOX_RULES_0_2_2, "boxes": legacy.BOXES_RULE}}),
    ("segmentation", {"recipe": {**legacy.LETTERBOX_RULES, "prompts": legacy.PROMPTS_RULE,
                                 "masks": legacy.MASKS_RULE}}),
    ("segmentation", {"recipe": {**legacy.LETTERBOX_RULES_0_2_2, "masks": legacy.MASKS_RULE}}),
])
def test_the_prose_of_core_0_4_is_version_1(family: str, data: dict) -> None:
    assert rule_version(family, data) == 1
    assert check_rule_version(family, data) == 1


def test_other_versions_are_refused_with_the_fix() -> None:
    with pytest.raises(RuleVersionError, match="Upgrade automm-core / automm-deploy"):
        check_rule_version("text", {"rule_version": RULE_VERSIONS["text"] + 1})
    with pytest.raises(RuleVersionError, match="save it again, then export it again"):
        check_rule_version("image", {"rules": {**legacy.IMAGE_RULES, "crop": "top-left"}})
    with pytest.raises(RuleVersionError, match="save it again"):
        check_rule_version("categorical", {"unknown_id": 1})
    with pytest.raises(RuleVersionError, match="save it again"):
        check_rule_version("segmentation", {"recipe": {**legacy.LETTERBOX_RULES, "prompts": "other"}})
    with pytest.raises(PredictorLoadError, match="Upgrade"):  # a load error, as before
        ImageProcessor.from_json({**IMAGE, "rule_version": 99})


def test_missing_training_stack_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    with pytest.raises(MissingExtraError, match=r'To fit, .*torch missing.*pip install "automm-core\[train\]"'):
        require_training_stack("fit")


def test_fitting_and_loading_without_torch_name_the_extra(tmp_path) -> None:
    code = ("import sys; sys.modules['torch'] = None\n"  # as if torch were not installed
            "import pandas as pd\n"
            "from automm.core import MultiModalPredictor\n"
            "from automm.core.errors import MissingExtraError\n"
            "for call in (lambda: MultiModalPredictor(label='y').fit(pd.DataFrame({'x': [1, 2], 'y': [0, 1]})),\n"
            f"             lambda: MultiModalPredictor.load({str(tmp_path)!r})):\n"
            "    try:\n        call()\n    except MissingExtraError as err:\n        print(err)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.count('pip install "automm-core[train]"') == 2, out


@pytest.mark.parametrize("size", [(40, 30), (30, 40), (32, 32), (20, 20)])
def test_prediction_pixels_follow_the_image_rules_exactly(size: tuple[int, int]) -> None:
    """Resize the shorter side to 32 (bilinear), crop the centre, scale by 1/255 in float32, subtract the mean and
    divide by the std: the same float32 values as those steps written out one by one."""
    import numpy as np
    from PIL import Image

    from automm.core.base.images import prediction_pixels

    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    image = Image.fromarray(np.random.default_rng(0).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
    width, height = size
    scale = 32 / min(width, height)
    resized = image.resize((32, int(height * scale)) if width <= height else (int(width * scale), 32),
                           resample=Image.BILINEAR) if min(width, height) != 32 else image
    left, top = round((resized.width - 32) / 2), round((resized.height - 32) / 2)
    cropped = np.asarray(resized.crop((left, top, left + 32, top + 32)), np.float32).transpose(2, 0, 1)
    expected = (cropped * np.float32(1 / 255) - np.float32(mean).reshape(3, 1, 1)) / np.float32(std).reshape(3, 1, 1)
    found = prediction_pixels(32, mean, std)(image)
    assert found.dtype == np.float32 and found.shape == (3, 32, 32)
    np.testing.assert_array_equal(found, expected)
