"""The bag of tricks, unit by unit: config keys, word augmentation, image policy, alignment, mixup, missing modality."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image
from torch import nn

from automm.core import ConfigError
from automm.core.config import Config
from automm.core.data.batch import Batch, Processors
from automm.core.data.images import ImageProcessor
from automm.core.data.sides import SidedProcessors
from automm.core.data.text import TextProcessor
from automm.core.data.text_augment import WordAugment
from automm.core.models.fusion import ForwardParts, MultiModalNet
from automm.core.training.alignment import CrossModalAlignment
from automm.core.training.mixup import mixup_loss
from automm.core.training.tricks import auxiliary_objectives, check_supported, training_processors

TRICKS = {"model.text.augment_delete": 0.2, "model.text.augment_swap": 0.2,
          "model.image.augment_policy": "trivial_augment", "model.fusion.alignment": "infonce",
          "model.fusion.alignment_weight": 0.5, "optim.mixup_alpha": 0.4}


def test_defaults_are_off_and_keys_round_trip() -> None:
    default = Config()
    assert (default.model.fusion.alignment, default.model.fusion.missing_modality) == ("none", "learnable")
    assert default.optim.mixup_alpha == 0 and default.model.text.augment_delete == 0
    config = default.override(TRICKS)
    assert Config.from_dict(config.to_dict()) == config


def test_configs_saved_before_the_keys_load_with_defaults() -> None:
    saved = Config().to_dict()
    for section, key in [("text", "augment_delete"), ("text", "augment_swap"), ("image", "augment_policy"),
                         ("fusion", "missing_modality"), ("fusion", "alignment"), ("fusion", "alignment_weight")]:
        del saved["model"][section][key]
    del saved["optim"]["mixup_alpha"]
    assert Config.from_dict(saved) == Config()


@pytest.mark.parametrize(("key", "value", "message"), [
    ("model.fusion.alignment", "infonse", "Did you mean .infonce."),
    ("model.fusion.missing_modality", "zeros", "must be one of"),
    ("model.image.augment_policy", "randaugment", "must be one of"),
    ("model.text.augment_delete", 1.0, r"in \[0, 1\)"),
    ("model.fusion.alignment_weight", 0.0, "> 0"),
    ("optim.mixup_alpha", -0.1, ">= 0"),
])
def test_bad_values_are_refused(key: str, value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Config().override({key: value})


def test_impute_refuses_modality_dropout() -> None:
    with pytest.raises(ConfigError, match="modality_dropout"):
        Config().override({"model.fusion.missing_modality": "impute", "model.fusion.modality_dropout": 0.2})


def test_word_augment_deletes_and_swaps_but_keeps_words() -> None:
    torch.manual_seed(0)
    text = "the quick brown fox jumps over the lazy dog today"
    changed = [WordAugment(delete=0.3, swap=0.3)(text) for _ in range(20)]
    assert any(out != text for out in changed)
    for out in changed:
        assert out and all(word in text.split() for word in out.split())
    swapped = WordAugment(swap=0.5)(text)
    assert sorted(swapped.split()) == sorted(text.split()) and swapped != text
    assert WordAugment(delete=0.99)("two words") in ("two", "words")  # never empty
    assert WordAugment(delete=0.5, swap=0.5)("single") == "single"
    assert not WordAugment().active


@pytest.fixture(scope="module")
def tokenizer(tiny_text_model: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(tiny_text_model))


def test_text_augmentation_applies_to_training_batches_only(tokenizer) -> None:
    processors = Processors(text=TextProcessor(["review"], max_length=32, tokenizer=tokenizer))
    augmented = training_processors(processors, Config().override({"model.text.augment_delete": 0.4}))
    rows = pd.DataFrame({"review": ["the good food was very great and big", None, "a cat"]})
    plain = processors.collate(rows, train=True)
    torch.manual_seed(0)
    trained = augmented.collate(rows, train=True)
    assert not torch.equal(trained.text_ids, plain.text_ids)
    assert set(trained.text_ids[0].tolist()) <= set(plain.text_ids[0].tolist())  # words dropped, none invented
    assert trained.text_present.tolist() == [True, False, True]
    _same_batch(augmented.collate(rows), processors.collate(rows))  # prediction: untouched


def _photo(folder: Path) -> str:
    rng = np.random.default_rng(0)
    path = folder / "photo.png"
    Image.fromarray(rng.integers(0, 255, (40, 48, 3), dtype=np.uint8)).save(path)
    return str(path)


def test_trivial_augment_changes_training_images_only(tmp_path: Path) -> None:
    processors = Processors(image=ImageProcessor(["photo"], ["image_path"], 32))
    trivial = training_processors(processors, Config().override({"model.image.augment_policy": "trivial_augment"}))
    rows = pd.DataFrame({"photo": [_photo(tmp_path)] * 4})
    torch.manual_seed(1)
    crop_flip = processors.collate(rows, train=True).image_pixels
    torch.manual_seed(1)
    augmented = trivial.collate(rows, train=True).image_pixels
    assert augmented.shape == crop_flip.shape and not torch.equal(augmented, crop_flip)
    _same_batch(trivial.collate(rows), processors.collate(rows))


def _same_batch(left: Batch, right: Batch) -> None:
    for field in dataclasses.fields(Batch):
        a, b = getattr(left, field.name), getattr(right, field.name)
        assert (a is None and b is None) or torch.equal(a, b), field.name


class _Encoder(nn.Module):
    """Features from a linear layer over ones; ``present`` fixed."""

    def __init__(self, width: int, present: list[bool]):
        super().__init__()
        self.layer, self.present, self.out_features = nn.Linear(1, width), torch.tensor(present), width

    def forward(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        return self.layer(torch.ones(len(self.present), 1)), self.present


def _net(missing: str) -> MultiModalNet:
    torch.manual_seed(0)
    encoders = {"text": _Encoder(4, [True, False, True]), "image": _Encoder(6, [True, True, False])}
    with torch.no_grad():
        net = MultiModalNet(encoders, None, 2, missing_modality=missing)
        for parameter in net.missing.values():
            parameter.fill_(7.0)
    return net.eval()


def test_missing_modality_learnable_or_imputed() -> None:
    learnable, impute = _net("learnable").forward_parts(Batch()), _net("impute").forward_parts(Batch())
    assert torch.all(learnable.modalities["text"][1] == 7.0) and torch.all(learnable.modalities["image"][2] == 7.0)
    assert not torch.any(impute.modalities["text"] == 7.0) and not torch.any(impute.modalities["image"] == 7.0)
    assert torch.equal(impute.modalities["text"][0], learnable.modalities["text"][0])  # present rows: same


def _parts(text: torch.Tensor, image: torch.Tensor, both: list[bool]) -> ForwardParts:
    present = torch.tensor(both)
    return ForwardParts({"text": text, "image": image}, {"text": present, "image": torch.ones_like(present)},
                        torch.zeros(len(both), 3), torch.zeros(len(both), 2))


@pytest.mark.parametrize("kind", ["positive_kl", "infonce"])
def test_alignment_loss_uses_rows_holding_both(kind: str) -> None:
    torch.manual_seed(0)
    objective = CrossModalAlignment(4, 6, kind, weight=0.5)
    text, image = torch.randn(5, 4, requires_grad=True), torch.randn(5, 6)
    both = [True, True, True, False, True]
    loss = objective(_parts(text, image, both), Batch())
    assert loss.item() > 0
    loss.backward()
    assert text.grad[3].abs().sum() == 0 and text.grad[0].abs().sum() > 0  # the row without an image is left out
    assert objective.text.weight.grad.abs().sum() > 0
    other_text = text.detach().clone()
    other_text[3] += 100.0
    assert objective(_parts(other_text, image, both), Batch()).item() == pytest.approx(loss.item())
    lonely = objective(_parts(text, image, [True, False, False, False, False]), Batch())
    assert (lonely.item() == 0.0) == (kind == "infonce")  # InfoNCE needs two pairs


def test_alignment_built_only_for_text_and_image(caplog: pytest.LogCaptureFixture) -> None:
    config = Config().override({"model.fusion.alignment": "positive_kl"})
    assert auxiliary_objectives(_net("learnable"), Config()) == []
    [objective] = auxiliary_objectives(_net("learnable"), config)
    assert (objective.text.in_features, objective.image.in_features) == (4, 6)
    text_only = MultiModalNet({"text": _Encoder(4, [True])}, None, 2)
    assert auxiliary_objectives(text_only, config) == []
    assert "needs both text and image" in caplog.text


def test_mixup_mixes_embeddings_and_weighs_both_targets() -> None:
    head, loss = nn.Linear(3, 4), nn.CrossEntropyLoss()
    embedding, target = torch.randn(8, 3), torch.tensor([0, 1, 2, 3, 0, 1, 2, 3])
    torch.manual_seed(3)
    mixed = mixup_loss(head, embedding, target, loss, alpha=0.4)
    torch.manual_seed(3)
    lam = float(torch.distributions.Beta(0.4, 0.4).sample())
    order = torch.randperm(8)
    out = head(lam * embedding + (1 - lam) * embedding[order])
    assert mixed.item() == pytest.approx((lam * loss(out, target) + (1 - lam) * loss(out, target[order])).item())
    assert mixed.item() != pytest.approx(loss(head(embedding), target).item())


def test_networks_without_forward_parts_refuse_alignment_and_mixup() -> None:
    bi_encoder_like, sided = nn.Linear(2, 2), SidedProcessors({"query": Processors(), "response": Processors()})
    for key, value in [("model.fusion.alignment", "infonce"), ("optim.mixup_alpha", 0.2)]:
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            check_supported(bi_encoder_like, sided, Config().override({key: value}), "text_similarity")
    check_supported(bi_encoder_like, sided, Config().override({"model.text.augment_swap": 0.1}), "text_similarity")


def test_task_processors_refuse_core_augmentation_keys() -> None:
    detector_processors = object()  # a task package's own processors
    for key, value in [("model.text.augment_delete", 0.1), ("model.image.augment_policy", "trivial_augment"),
                       ("model.fusion.missing_modality", "impute")]:
        with pytest.raises(ConfigError, match="not supported by the object_detection"):
            check_supported(nn.Linear(2, 2), detector_processors, Config().override({key: value}), "object_detection")
    check_supported(nn.Linear(2, 2), detector_processors, Config(), "object_detection")
    assert training_processors(detector_processors, Config().override(TRICKS)) is detector_processors


def test_network_json_without_missing_modality_builds_learnable() -> None:
    from automm.core.models.network import spec_from_json

    fusion = {"model": "mlp", "hidden_size": 8, "dropout": 0.1, "modality_dropout": 0.0}  # as 0.3 wrote it
    tabular = {"model": "mlp", "num_numerical": 2, "cardinalities": [], "hidden_size": 8, "num_layers": 1,
               "dropout": 0.0}
    old = spec_from_json({"kind": "multimodal", "output_size": 2, "tabular": tabular, "fusion": fusion})
    assert old.build(None, pretrained=False).missing_modality == "learnable"
    new = spec_from_json({"kind": "multimodal", "output_size": 2, "tabular": tabular,
                          "fusion": {**fusion, "missing_modality": "impute"}})
    assert new.build(None, pretrained=False).missing_modality == "impute"
