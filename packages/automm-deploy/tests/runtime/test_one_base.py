"""The runtime runs automm-core's torch-free base: the same rule functions as the torch predictor, one error
hierarchy, integer rule versions (the prose of core 0.4 / deploy 0.2 exports still accepted)."""

from __future__ import annotations

import importlib.util
import os

import pytest

import automm.core.base.images as base_images
import automm.core.base.letterbox as base_letterbox
import automm.core.base.prompts as base_prompts
import automm.core.base.tabular as base_tabular
import automm.core.base.text as base_text
from automm.core import errors as core_errors
from automm.core.base.legacy import IMAGE_RULES, LETTERBOX_RULES, TEXT_RULES
from automm.core.base.rules import RULE_VERSIONS
from automm.deploy import errors as deploy_errors
from automm.deploy.preprocess import images, letterbox, prompts, tabular, text
from automm.deploy.preprocess.images import ImageInputs
from automm.deploy.preprocess.letterbox import LetterboxInputs

RUNTIME_ONLY = os.environ.get("AUTOMM_DEPLOY_RUNTIME_ONLY") == "1"


@pytest.mark.skipif(not RUNTIME_ONLY, reason="only in the runtime-only environment (nox -s deploy)")
def test_no_training_stack_is_installed() -> None:
    for package in ("torch", "torchvision", "transformers", "lightning", "timm", "peft"):
        assert importlib.util.find_spec(package) is None, package


def test_preprocessing_calls_the_functions_of_core_base() -> None:
    assert images.pack_slots is base_images.pack_slots and images.row_images is base_images.row_images
    assert images.prediction_pixels is base_images.prediction_pixels
    assert text.encode_rows is base_text.encode_rows and text.cell_texts is base_text.cell_texts
    assert tabular.NumericalProcessor is base_tabular.NumericalProcessor
    assert tabular.CategoricalProcessor is base_tabular.CategoricalProcessor
    assert letterbox.letterbox is base_letterbox.letterbox and letterbox.open_rgb is base_letterbox.open_rgb
    assert prompts.read_prompts is base_prompts.read_prompts and prompts.to_input is base_prompts.to_input
    assert prompts.check_inside is base_prompts.check_inside


def test_one_error_hierarchy() -> None:
    assert deploy_errors.InputError is core_errors.InputError
    assert issubclass(deploy_errors.DeployError, core_errors.AutoMMError)
    assert issubclass(deploy_errors.InputError, ValueError)  # what callers caught before
    with pytest.raises(core_errors.InputError):
        ImageInputs({"columns": ["i"], "kinds": ["image_base64"], "size": 4, "mean": [0, 0, 0], "std": [1, 1, 1],
                     "max_images_per_row": 1, "draft_size": 64, "rule_version": 1}, allow_paths=False)(
            __import__("pandas").DataFrame({"i": ["not an image"]}))


IMAGE = {"columns": ["i"], "kinds": ["image_base64"], "size": 4, "mean": [0, 0, 0], "std": [1, 1, 1],
         "max_images_per_row": 1, "draft_size": 64}


def test_rule_versions_and_the_prose_of_old_exports() -> None:
    ImageInputs({**IMAGE, "rule_version": RULE_VERSIONS["image"]})
    ImageInputs({**IMAGE, "rules": IMAGE_RULES})  # an export of automm-deploy 0.2
    with pytest.raises(deploy_errors.DeployError, match=r"version 2; .* Upgrade automm-core / automm-deploy"):
        ImageInputs({**IMAGE, "rule_version": RULE_VERSIONS["image"] + 1})
    with pytest.raises(deploy_errors.DeployError, match="save it again, then export it again"):
        ImageInputs({**IMAGE, "rules": {**IMAGE_RULES, "crop": "a corner"}})
    with pytest.raises(deploy_errors.DeployError, match="save it again, then export it again"):
        text.TextInputs({"columns": ["t"], "max_length": 8, "start_id": 1, "end_id": 2, "pad_id": 0,
                         "rules": {**TEXT_RULES, "padding": "left"}}, "unused")
    box = {"kind": "detection", "column": "i", "image_size": 32}
    LetterboxInputs({**box, "recipe": {**LETTERBOX_RULES, "boxes": "output / scale, clipped to the original image"}})
    LetterboxInputs({**box, "rule_version": 1})
    with pytest.raises(deploy_errors.DeployError, match="Upgrade"):
        LetterboxInputs({**box, "rule_version": 7})
    with pytest.raises(deploy_errors.DeployError, match="Upgrade"):
        LetterboxInputs({**box, "kind": "depth", "rule_version": 1})
