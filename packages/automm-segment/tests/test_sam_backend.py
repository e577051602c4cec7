"""The SAM backend on tiny random checkpoints saved to disk: an official ``.pth`` file and a Hugging Face folder."""

from __future__ import annotations

import dataclasses
import inspect
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import transformers
from segment_anything.modeling import Sam
from segment_anything.modeling.image_encoder import get_rel_pos
from torch import nn

from automm.core.errors import CheckpointNotFoundError, ConfigError
from automm.core.training import peft_setup
from automm.segment.backends import sam_backend as sb
from automm.segment.backends.base import BACKENDS, SegmenterOptions
from automm.segment.backends.sam_checkpoints import official_key
from automm.segment.network import SegmentationNet
from automm.segment.processor import SegmentationBatch
from automm.segment.prompts import batch_prompts, row_prompts
from automm.segment.testing.tiny_sam import tiny_sam

SIZE = 64  # the tiny checkpoints' input size: a 4 x 4 grid of 16-pixel patches
# Two blocks: block 0 attends in 2 x 2 windows, block 1 globally, so their rel-pos tables differ in length.
TINY_ENCODER = {"embed_dim": 32, "depth": 2, "num_heads": 2, "global_attn_indexes": [1], "window_size": 2,
                "patch_size": 16, "out_chans": 32, "mlp_ratio": 4.0, "pretrain_img_size": SIZE}
HF_VISION = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "window_size": 2,
             "global_attn_indexes": [1], "output_channels": 32, "image_size": SIZE, "patch_size": 16,
             "num_pos_feats": 16}
HF_PROMPT = {"hidden_size": 32, "image_size": SIZE, "patch_size": 16, "mask_input_channels": 8}
# layer_norm_eps 1e-5 as in segment_anything's two-way transformer (transformers' port defaults to 1e-6), so the
# HF model's masks can be compared with ours exactly.
HF_DECODER = {"hidden_size": 32, "mlp_dim": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
              "iou_head_hidden_dim": 32, "layer_norm_eps": 1e-5}


def _randomised(model: nn.Module) -> nn.Module:
    """``model`` with every weight perturbed (SAM zero-initialises its position tables), in eval mode."""
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for tensor in model.state_dict().values():
            tensor.add_(0.1 * torch.randn(tensor.shape, generator=generator))
    return model.eval()


def _options(checkpoint: Path | str, num_outputs: int = 1, image_size: int = SIZE) -> SegmenterOptions:
    return SegmenterOptions("custom", num_classes=num_outputs, image_size=image_size, checkpoint=str(checkpoint))


def _images(batch: int = 2, size: int = SIZE) -> torch.Tensor:
    return torch.rand(batch, 3, size, size, generator=torch.Generator().manual_seed(1))


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def official_sam() -> Sam:
    """A tiny Sam from segment_anything's own modules, as ``_build_sam`` assembles them."""
    return _randomised(tiny_sam(SIZE))


@pytest.fixture(scope="module")
def official_file(official_sam: Sam, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("official") / "sam_tiny.pth"
    torch.save(official_sam.state_dict(), path)
    return path


@pytest.fixture(scope="module")
def hf_sam() -> transformers.SamModel:
    config = transformers.SamConfig(vision_config=HF_VISION, prompt_encoder_config=HF_PROMPT,
                                    mask_decoder_config=HF_DECODER)
    return _randomised(transformers.SamModel(config))


@pytest.fixture(scope="module")
def hf_folder(hf_sam: transformers.SamModel, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hf") / "sam-tiny"
    hf_sam.save_pretrained(folder)
    return folder


def test_registered() -> None:
    backend = BACKENDS.get("sam")
    assert backend.build is sb.build and backend.prepare is sb.prepare


@pytest.mark.parametrize("fmt", ["official", "hf"])
def test_prepare_reads_the_architecture(fmt: str, official_file: Path, hf_folder: Path) -> None:
    options = sb.prepare(_options(official_file if fmt == "official" else hf_folder))
    extra = options.extra
    assert extra["format"] == fmt and extra["variant"] == "custom"
    assert extra["encoder"] == TINY_ENCODER
    assert (extra["prompt_embed_dim"], extra["mask_in_chans"]) == (32, 8)
    assert extra["decoder"] == {"depth": 2, "num_heads": 8 if fmt == "official" else 2, "mlp_dim": 64,
                                "attention_downsample_rate": 2, "iou_head_depth": 3, "iou_head_hidden_dim": 32,
                                "num_mask_tokens": 4}
    assert json.loads(json.dumps(extra)) == extra


@pytest.mark.parametrize("num_outputs", [1, 3, 6])
def test_official_file_loads_every_weight(official_file: Path, num_outputs: int) -> None:
    model = sb.build(sb.prepare(_options(official_file, num_outputs))).eval()
    state = torch.load(official_file, map_location="cpu", weights_only=True)
    own = model.state_dict()
    fresh = []
    for key, value in own.items():
        name = re.sub(r"^backbone\.", "image_encoder.", key)
        if name not in state:
            fresh.append(key)
            continue
        source = state[name]
        # Token-count tensors (mask tokens, IoU head output) keep the leading pretrained rows.
        assert torch.equal(value[: len(source)], source[: len(value)]), key
    # The checkpoint's 4 mask tokens all stay (SAM's single-mask output is token 0 among 4); more start fresh.
    assert model.mask_decoder.mask_tokens.weight.shape[0] == max(num_outputs, 4)
    assert {int(key.split(".")[2]) for key in fresh} == set(range(4, num_outputs))
    assert all(key.startswith("mask_decoder.output_hypernetworks_mlps.") for key in fresh)
    with torch.no_grad():
        logits = model(_images())
    assert logits.shape == (2, num_outputs, SIZE, SIZE) and torch.isfinite(logits).all()


def test_predictors_saved_before_mask_tokens_was_stored_rebuild_one_token_per_output(official_file: Path) -> None:
    options = sb.prepare(_options(official_file, 2))
    assert options.extra["mask_tokens"] == 4
    old = dataclasses.replace(options, pretrained=False, extra={k: v for k, v in options.extra.items()
                                                                if k != "mask_tokens"})
    assert sb.build(old).mask_decoder.mask_tokens.weight.shape[0] == 2


def test_matches_official_sam(official_sam: Sam, official_file: Path) -> None:
    """With the pretrained 4 tokens, the logits are the official decoder's 4 masks, upsampled."""
    model = sb.build(sb.prepare(_options(official_file, 4))).eval()
    images = _images(1)
    with torch.no_grad():
        ours = model(images)
        embedding = official_sam.image_encoder((images * 255 - official_sam.pixel_mean) / official_sam.pixel_std)
        sparse, dense = official_sam.prompt_encoder(points=None, boxes=None, masks=None)
        masks, _ = official_sam.mask_decoder.predict_masks(
            embedding, official_sam.prompt_encoder.get_dense_pe(), sparse, dense
        )
    expected = F.interpolate(masks, size=(SIZE, SIZE), mode="bilinear", align_corners=False)
    assert expected.std() > 0.01  # not a trivially flat output
    torch.testing.assert_close(ours, expected, atol=1e-5, rtol=1e-5)


def _row(points: list[list[float]], box: list[float] | None) -> np.ndarray:
    return row_prompts(np.asarray(points, np.float32).reshape(-1, 3), None if box is None else np.asarray(box))


@pytest.mark.parametrize("kind", ["points", "box", "box_and_points"])
def test_prompts_give_sams_own_single_mask(official_sam: Sam, official_file: Path, kind: str) -> None:
    """Zero-shot: with SAM's 4 tokens kept, a binary model is SAM's single-mask output for the same prompts."""
    model = sb.build(sb.prepare(_options(official_file, 1))).eval()
    images = _images(1)
    points, labels = torch.tensor([[[20.0, 30.0], [40.0, 12.0]]]), torch.tensor([[1, 0]])
    box = torch.tensor([[8.0, 10.0, 50.0, 44.0]])
    use_points, use_box = kind != "box", kind != "points"
    rows = _row([[20, 30, 1], [40, 12, 0]] if use_points else [], box[0].tolist() if use_box else None)
    with torch.no_grad():
        ours = model(images, torch.from_numpy(rows)[None])
        unprompted = model(images)
        embedding = official_sam.image_encoder((images * 255 - official_sam.pixel_mean) / official_sam.pixel_std)
        sparse, dense = official_sam.prompt_encoder(points=(points, labels) if use_points else None,
                                                    boxes=box if use_box else None, masks=None)
        masks, _ = official_sam.mask_decoder(embedding, official_sam.prompt_encoder.get_dense_pe(), sparse, dense,
                                             multimask_output=False)
    expected = F.interpolate(masks, size=(SIZE, SIZE), mode="bilinear", align_corners=False)
    assert ours.shape == (1, 1, SIZE, SIZE)
    torch.testing.assert_close(ours, expected, atol=1e-5, rtol=1e-5)
    assert not torch.allclose(ours, unprompted, atol=1e-3)  # the prompts matter


def test_rows_with_different_prompt_counts_do_not_affect_each_other(official_file: Path) -> None:
    net = SegmentationNet(sb.build(sb.prepare(_options(official_file, 1)))).eval()
    images = _images(3)
    rows = [_row([[20, 30, 1], [40, 12, 0]], None), _row([], [8, 10, 50, 44]), _row([], None)]
    sizes = torch.full((3, 2), SIZE)
    with torch.no_grad():
        together = net(SegmentationBatch(images, sizes, sizes, prompts=batch_prompts(rows)))
        alone = [net(SegmentationBatch(images[i : i + 1], sizes[:1], sizes[:1], prompts=batch_prompts([rows[i]])))[0]
                 for i in range(3)]
    for row_together, row_alone in zip(together, alone):
        torch.testing.assert_close(row_together.float(), row_alone.float(), atol=1e-3, rtol=0)


def test_hf_weights_convert_to_the_official_modules(hf_sam: transformers.SamModel, hf_folder: Path) -> None:
    model = sb.build(sb.prepare(_options(hf_folder, 4))).eval()
    images = _images()
    pixels = (images - model.mean) / model.std
    with torch.no_grad():
        ours = model.backbone(pixels)
        theirs = hf_sam.get_image_embeddings(pixels)
        logits = model(images[:1])
        hf_masks = hf_sam(pixel_values=pixels[:1], multimask_output=True).pred_masks[:, 0]
    assert theirs.std() > 0.1
    torch.testing.assert_close(ours, theirs, atol=1e-4, rtol=0)
    # The whole decoder too: HF's multimask output is tokens 1-3.
    expected = F.interpolate(hf_masks, size=(SIZE, SIZE), mode="bilinear", align_corners=False)
    torch.testing.assert_close(logits[:, 1:], expected, atol=1e-4, rtol=1e-4)


def test_official_key_renames() -> None:
    assert official_key("vision_encoder.layers.3.attn.qkv.weight") == "image_encoder.blocks.3.attn.qkv.weight"
    assert official_key("vision_encoder.neck.layer_norm2.bias") == "image_encoder.neck.3.bias"
    assert (official_key("prompt_encoder.shared_embedding.positional_embedding")
            == "prompt_encoder.pe_layer.positional_encoding_gaussian_matrix")
    assert (official_key("mask_decoder.output_hypernetworks_mlps.2.proj_out.weight")
            == "mask_decoder.output_hypernetworks_mlps.2.layers.2.weight")
    assert (official_key("mask_decoder.iou_prediction_head.layers.1.bias", iou_head_depth=4)
            == "mask_decoder.iou_prediction_head.layers.2.bias")


def test_batch_equals_images_one_by_one(official_file: Path) -> None:
    model = sb.build(sb.prepare(_options(official_file, 3))).eval()
    images = _images()
    with torch.no_grad():
        batch = model(images)
        single = torch.cat([model(images[:1]), model(images[1:])])
        features = model.features(images)
    assert not torch.allclose(batch[0], batch[1], atol=1e-3)
    torch.testing.assert_close(batch, single, atol=1e-5, rtol=1e-5)
    assert isinstance(model.feature_size, int) and features.shape == (2, model.feature_size)


def test_other_image_size_resizes_position_tables(official_file: Path) -> None:
    size = 96  # a 6 x 6 grid instead of the pretrained 4 x 4
    model = sb.build(sb.prepare(_options(official_file, 2, image_size=size))).eval()
    state = torch.load(official_file, map_location="cpu", weights_only=True)
    pos = state["image_encoder.pos_embed"].permute(0, 3, 1, 2)
    expected_pos = F.interpolate(pos, size=(6, 6), mode="bicubic", align_corners=False).permute(0, 2, 3, 1)
    torch.testing.assert_close(model.backbone.pos_embed.data, expected_pos)
    table = model.backbone.blocks[1].attn.rel_pos_h.data  # the global block
    pretrained_table = state["image_encoder.blocks.1.attn.rel_pos_h"]
    assert table.shape == (11, 16)
    # What segment_anything would compute at run time from the pretrained 7-long table.
    torch.testing.assert_close(get_rel_pos(6, 6, table), get_rel_pos(6, 6, pretrained_table))
    assert torch.equal(model.backbone.blocks[0].attn.rel_pos_w.data, state["image_encoder.blocks.0.attn.rel_pos_w"])
    with torch.no_grad():
        logits = model(_images(1, size))
    assert logits.shape == (1, 2, size, size) and torch.isfinite(logits).all()


@pytest.mark.parametrize("fmt", ["official", "hf"])
def test_saved_predictor_rebuilds_without_checkpoint(fmt: str, official_file: Path, hf_folder: Path,
                                                     tmp_path: Path) -> None:
    copy = tmp_path / "checkpoint"
    if fmt == "official":
        shutil.copy(official_file, copy)
    else:
        shutil.copytree(hf_folder, copy)
    options = sb.prepare(_options(copy, 2))
    model = sb.build(options).eval()
    if fmt == "official":
        copy.unlink()
    else:
        shutil.rmtree(copy)
    saved = SegmenterOptions(**json.loads(json.dumps(dataclasses.asdict(options))))  # network.json round trip
    rebuilt = sb.build(dataclasses.replace(saved, pretrained=False)).eval()
    rebuilt.load_state_dict(model.state_dict())
    with torch.no_grad():
        assert torch.equal(rebuilt(_images()), model(_images()))
    with pytest.raises(CheckpointNotFoundError):
        sb.build(saved)  # pretrained weights are gone


def test_missing_or_foreign_checkpoints_fail_clearly(tmp_path: Path) -> None:
    missing = tmp_path / "sam_vit_b_01ec64.pth"
    with pytest.raises(CheckpointNotFoundError, match=re.escape(str(missing))) as info:
        sb.prepare(_options(missing))
    assert "model.sam.checkpoint_name" in str(info.value)
    with pytest.raises(CheckpointNotFoundError, match="offline"):
        sb.prepare(_options("automm-tests/no-such-sam"))
    with pytest.raises(ConfigError, match="not one of"):
        sb.prepare(_options(""))  # no checkpoint and no named variant

    foreign = tmp_path / "linear.pth"
    torch.save(nn.Linear(2, 2).state_dict(), foreign)
    with pytest.raises(ConfigError, match="not a Segment Anything state dict"):
        sb.prepare(_options(foreign))
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(ConfigError, match="not a Segment Anything checkpoint"):
        sb.prepare(_options(garbage))
    other = tmp_path / "bert"
    other.mkdir()
    (other / "config.json").write_text('{"model_type": "bert"}')
    (other / "model.safetensors").write_bytes(b"")
    with pytest.raises(ConfigError, match="not 'sam'"):
        sb.prepare(_options(other))


class _Net(nn.Module):
    """Stands in for core's network: the segmenter is one submodule with a ``backbone``."""

    def __init__(self, segmenter: nn.Module) -> None:
        super().__init__()
        self.segmenter = segmenter


def test_lora_adapts_the_encoder_and_trains_the_decoder(official_file: Path) -> None:
    net = _Net(sb.build(sb.prepare(_options(official_file, 2))))
    assert net.segmenter.backbone.peft_target_modules == ("qkv",)
    peft_setup.apply_peft(net, "lora", 4)
    trainable = {name: param for name, param in net.named_parameters() if param.requires_grad}
    lora = [name for name in trainable if "lora_" in name]
    assert any(".qkv.lora_A." in name for name in lora)
    if "peft_target_modules" in inspect.getsource(peft_setup):
        assert all(".qkv." in name for name in lora)
    decoder = ("segmenter.mask_decoder.", "segmenter.prompt_encoder.no_mask_embed.")
    assert all(name in lora or name.startswith(decoder) for name in trainable), sorted(trainable)
    assert not any("iou_prediction_head" in name for name in trainable)
    net.segmenter(_images()).square().mean().backward()
    # Every trainable parameter takes part in the loss (DDP needs no find_unused_parameters).
    assert all(param.grad is not None for param in trainable.values())


@pytest.mark.slow
def test_random_vit_b_runs_at_256(tmp_path: Path) -> None:
    from segment_anything import build_sam_vit_b

    path = tmp_path / "sam_vit_b_random.pth"
    torch.save(build_sam_vit_b(checkpoint=None).state_dict(), path)
    options = SegmenterOptions("vit_b", num_classes=2, image_size=256, checkpoint=str(path))
    model = sb.build(options).eval()  # prepare runs inside build
    assert model.feature_size == 256
    with torch.no_grad():
        logits = model(_images(1, 256))
    assert logits.shape == (1, 2, 256, 256) and torch.isfinite(logits).all()
