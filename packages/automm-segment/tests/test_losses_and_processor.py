"""Training losses ignore padding; augmentation moves image and mask together; the letterbox maps back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image

from automm.segment.losses import CrossEntropyDiceLoss, StructureLoss
from automm.segment.masks import MaskCodec
from automm.segment.network import probabilities
from automm.segment.processor import IGNORE, SegmentationProcessor


def test_losses_ignore_padding_and_fall_when_logits_agree_with_the_mask() -> None:
    target = torch.zeros(2, 32, 32, dtype=torch.long)
    target[:, 8:20, 8:20] = 1
    target[:, 24:, :] = IGNORE
    logits = torch.randn(2, 1, 32, 32)
    changed = logits.clone()
    changed[:, :, 24:, :] += 100.0  # only padding differs
    assert torch.allclose(StructureLoss()(logits, target), StructureLoss()(changed, target))
    good = (target.clamp(min=0).float() * 20 - 10).unsqueeze(1)
    assert StructureLoss()(good, target) < StructureLoss()(-good, target)
    classes = torch.randn(2, 3, 32, 32)
    moved = classes.clone()
    moved[:, :, 24:, :] = 50.0
    loss = CrossEntropyDiceLoss()
    assert torch.allclose(loss(classes, target), loss(moved, target))


def test_augmentation_keeps_image_and_mask_aligned(tmp_path: Path) -> None:
    """A bright square on black and its mask: after flips, rescales and crops, bright pixels are the masked ones."""
    image = np.zeros((60, 100, 3), dtype=np.uint8)
    image[10:40, 50:90] = 255
    mask = np.zeros((60, 100), dtype=np.uint8)
    mask[10:40, 50:90] = 255
    Image.fromarray(image).save(tmp_path / "i.png")
    Image.fromarray(mask).save(tmp_path / "m.png")
    codec = MaskCodec("values", (0, 255))
    processor = SegmentationProcessor("image", 64, codec=codec, scale_jitter=(0.5, 2.0))
    rows = pd.DataFrame({"image": [str(tmp_path / "i.png")] * 16})
    targets = np.array([str(tmp_path / "m.png")] * 16, dtype=object)
    torch.manual_seed(0)
    batch = processor.collate(rows, targets, train=True)
    for pixels, target in zip(batch.images, batch.target):
        inside = target == 1
        outside = target == 0
        assert pixels[0][inside].mean() > 0.9 if inside.any() else True
        assert pixels[0][outside].mean() < 0.1 if outside.any() else True
        assert (pixels[0][target == IGNORE] == 0).all()


def test_eval_batch_maps_back_to_the_original_size(tmp_path: Path) -> None:
    Image.new("RGB", (100, 60)).save(tmp_path / "i.png")
    processor = SegmentationProcessor("image", 64, codec=MaskCodec("values", (0, 255)))
    batch = processor.collate(pd.DataFrame({"image": [str(tmp_path / "i.png")]}))
    assert batch.valid.tolist() == [[38, 64]] and batch.sizes.tolist() == [[60, 100]]
    logits = torch.full((1, 64, 64), -5.0)
    logits[:, :38, :64] = 5.0  # foreground exactly on the image, background on the padding
    probability = probabilities(logits, batch.valid[0], batch.sizes[0])
    assert probability.shape == (2, 60, 100) and bool((probability[1] > 0.99).all())
