"""Segment Anything (SAM) as a segmenter backend: one runtime architecture for both checkpoint formats.

SAM checkpoints come as Meta's official ``sam_vit_*.pth`` state dicts or as Hugging Face SAM folders (local, or a
hub id such as ``facebook/sam-vit-base``). Whatever the format, the model that trains, predicts and exports is built
from ``segment_anything.modeling`` (``ImageEncoderViT``, ``PromptEncoder``, ``MaskDecoder``, ``TwoWayTransformer``);
Hugging Face weights are renamed to the official keys (``sam_checkpoints``). So there is one forward pass, one state
dict layout and one ONNX graph, whichever file the weights came from.

``prepare`` reads the checkpoint at fit time and stores the architecture's hyperparameters in ``options.extra``
(JSON values only); ``build(replace(options, pretrained=False))`` rebuilds it offline for a saved predictor.

The model segments without prompts: the mask decoder gets no sparse prompt, the learned "no mask" dense embedding
and one mask token per output channel (``K``). It keeps all the checkpoint's mask tokens (SAM's 4) when ``K`` is
smaller and outputs the first ``K`` masks, so with ``K = 1`` it is SAM's single-mask output; extra tokens start
fresh. Point and box prompts (``prompts.py``'s ``[B, N, 3]`` layout) are optional: they become the decoder's sparse
prompt tokens exactly as SAM's prompt encoder embeds them, so a pretrained binary model predicts zero-shot. At an
input size other than the pretrained one, the absolute position embedding and the global blocks' relative position
tables are resized when the weights are loaded.

Example:
    >>> options = prepare(SegmenterOptions("vit_b", num_classes=1, image_size=512, checkpoint="sam_vit_b_01ec64.pth"))
    >>> model = build(options)  # [B, 3, 512, 512] in [0, 1] -> [B, 1, 512, 512] logits
"""

from __future__ import annotations

import dataclasses
import re
from functools import partial
from typing import Any

import torch
import torch.nn.functional as F
from segment_anything.modeling import MaskDecoder, PromptEncoder, TwoWayTransformer
from torch import nn

from automm.core.errors import ConfigError

from ..prompts import PAD
from .base import BACKENDS, SegmenterBackend, SegmenterOptions
from .conv_lora import add_conv_lora
from .sam_checkpoints import (
    checkpoint_state,
    default_checkpoint,
    hf_architecture,
    official_architecture,
    read_official,
    resolve_checkpoint,
)
from .sam_encoder import CheckpointedImageEncoder

# SAM's input normalisation, on the 0-255 scale.
PIXEL_MEAN = (123.675, 116.28, 103.53)
PIXEL_STD = (58.395, 57.12, 57.375)
# Parts of SAM that are never trained, so DDP waits for no gradient of theirs: the prompt embeddings stay as
# pretrained (prompts are optional), the mask-input downscaler and the IoU head never run.
_UNUSED = (
    "prompt_encoder.point_embeddings.",
    "prompt_encoder.not_a_point_embed.",
    "prompt_encoder.mask_downscaling.",
    "mask_decoder.iou_prediction_head.",
)
_HYPERNETWORK = re.compile(r"^mask_decoder\.output_hypernetworks_mlps\.(\d+)\.")


def prepare(options: SegmenterOptions) -> SegmenterOptions:
    """Resolve the checkpoint and store the architecture it holds in ``options.extra``.

    ``extra`` gets ``format`` ("official" / "hf"), ``checkpoint_path``, ``variant`` (vit_b / vit_l / vit_h /
    custom, read from the weights, which win over ``options.architecture``), ``encoder``, ``prompt_embed_dim``,
    ``mask_in_chans``, ``decoder`` and ``mask_tokens`` (how many mask tokens the model holds: the checkpoint's, or
    ``num_classes`` when larger).

    Raises:
        CheckpointNotFoundError: The checkpoint is nowhere to be found.
        ConfigError: It is not a SAM checkpoint, or no checkpoint is given for a custom architecture.
    """
    name = options.checkpoint or default_checkpoint(options.architecture)
    fmt, path = resolve_checkpoint(name, options.architecture)
    architecture = official_architecture(read_official(path), path) if fmt == "official" else hf_architecture(path)
    tokens = max(options.num_classes, architecture["decoder"]["num_mask_tokens"])
    extra = {**options.extra, **architecture, "format": fmt, "checkpoint_path": str(path), "mask_tokens": tokens}
    return dataclasses.replace(options, checkpoint=name, extra=extra)


def build(options: SegmenterOptions) -> SamSegmenter:
    """The segmenter from ``options.extra`` (``prepare`` runs first when it is missing), pretrained if asked.

    Raises:
        CheckpointNotFoundError: ``options.pretrained`` but the checkpoint is nowhere to be found.
        ConfigError: ``num_classes < 1``, or the checkpoint's weights do not fit the stored architecture.
    """
    if "encoder" not in options.extra:
        options = prepare(options)
    if options.num_classes < 1:
        raise ConfigError(f"SAM needs num_classes >= 1, got {options.num_classes}.")
    model = SamSegmenter(options)
    if options.pretrained:
        model.load_pretrained(checkpoint_state(options))
    conv_lora = options.extra.get("conv_lora")
    if conv_lora:  # after the pretrained weights, whose keys name the plain qkv layers
        add_conv_lora(model.backbone, int(conv_lora["rank"]), int(conv_lora["experts"]))
    return model


class SamSegmenter(nn.Module):
    """SAM: ViT image encoder, then a mask decoder whose first ``num_outputs`` mask tokens are the output channels;
    point / box prompts optional."""

    def __init__(self, options: SegmenterOptions) -> None:
        super().__init__()
        extra = options.extra
        self.image_size = options.image_size
        self.variant: str = extra.get("variant", options.architecture)
        self.num_outputs = options.num_classes
        # Saved before mask_tokens was stored: as many tokens as outputs.
        self.num_tokens = max(self.num_outputs, int(extra.get("mask_tokens", self.num_outputs)))
        self.backbone = _image_encoder(extra["encoder"], options.image_size)
        self.backbone.peft_target_modules = ("qkv",)  # LoRA on the attention only
        grid = options.image_size // extra["encoder"]["patch_size"]
        self.prompt_encoder = PromptEncoder(
            embed_dim=extra["prompt_embed_dim"],
            image_embedding_size=(grid, grid),
            input_image_size=(options.image_size, options.image_size),
            mask_in_chans=extra["mask_in_chans"],
        )
        self.mask_decoder = _mask_decoder(extra["decoder"], extra["prompt_embed_dim"], self.num_tokens)
        self.feature_size: int = extra["prompt_embed_dim"]
        self.register_buffer("mean", torch.tensor(PIXEL_MEAN).view(1, 3, 1, 1) / 255, persistent=False)
        self.register_buffer("std", torch.tensor(PIXEL_STD).view(1, 3, 1, 1) / 255, persistent=False)
        for name, param in self.named_parameters():
            if name.startswith(_UNUSED) or _token_at_least(name, self.num_outputs):  # unused masks' MLPs too
                param.requires_grad = False

    def forward(self, images: torch.Tensor, prompts: torch.Tensor | None = None) -> torch.Tensor:
        """``[B, 3, S, S]`` in ``[0, 1]`` (and ``[B, N, 3]`` prompts in its pixels) -> ``[B, K, S, S]`` logits."""
        sparse = None if prompts is None else self._embed_prompts(prompts)
        masks = self._decode(self.backbone((images - self.mean) / self.std), sparse)
        return F.interpolate(masks, size=images.shape[-2:], mode="bilinear", align_corners=False)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """``[B, feature_size]``: the image embedding averaged over positions."""
        return self.backbone((images - self.mean) / self.std).mean(dim=(2, 3))

    def load_pretrained(self, state: dict[str, torch.Tensor]) -> None:
        """Load an official-keyed SAM state dict, fitting position tables and mask tokens to this model.

        Raises:
            ConfigError: A key is missing or unknown, or a shape cannot be fitted.
        """
        source = {re.sub(r"^image_encoder\.", "backbone.", key): value for key, value in state.items()}
        target = self.state_dict()
        pretrained_tokens = source["mask_decoder.mask_tokens.weight"].shape[0]
        # Hypernetwork MLPs past K are dropped; those past the pretrained token count start fresh.
        unknown = [key for key in source if key not in target and not _token_at_least(key, self.num_tokens)]
        missing = [key for key in target if key not in source and not _token_at_least(key, pretrained_tokens)]
        if unknown or missing:
            raise ConfigError(
                f"The SAM weights do not fit the architecture stored by prepare: unknown keys {unknown[:5]}, missing "
                f"keys {missing[:5]}. To fix: fit again so prepare reads the architecture from this checkpoint."
            )
        self.load_state_dict({key: _fit(key, source[key], value) if key in source else value
                              for key, value in target.items()})

    def _embed_prompts(self, prompts: torch.Tensor) -> torch.Tensor:
        """``[B, N, 3]`` ``(x, y, label)`` -> ``[B, N, D]`` sparse prompt tokens, as SAM's ``PromptEncoder``
        embeds points (labels 0 / 1), box corners (2 / 3) and padding (-1), in one lookup."""
        encoder = self.prompt_encoder
        labels = prompts[..., 2].long()
        encoding = encoder.pe_layer.forward_with_coords(prompts[..., :2] + 0.5, encoder.input_image_size)
        table = torch.cat([encoder.not_a_point_embed.weight, *(e.weight for e in encoder.point_embeddings)])
        encoding = torch.where((labels == PAD).unsqueeze(-1), torch.zeros_like(encoding), encoding)
        return encoding + table[labels + 1]

    def _decode(self, embeddings: torch.Tensor, sparse: torch.Tensor | None = None) -> torch.Tensor:
        """``MaskDecoder.predict_masks`` batched over images (one token set each), the first K masks, at S/4."""
        decoder = self.mask_decoder
        batch, channels, height, width = embeddings.shape
        tokens = torch.cat([decoder.iou_token.weight, decoder.mask_tokens.weight], dim=0)
        tokens = tokens.unsqueeze(0).expand(batch, -1, -1)
        if sparse is not None:
            tokens = torch.cat([tokens, sparse], dim=1)
        dense = self.prompt_encoder.no_mask_embed.weight.reshape(1, -1, 1, 1)
        hidden, src = decoder.transformer(embeddings + dense, self.prompt_encoder.get_dense_pe(), tokens)
        upscaled = decoder.output_upscaling(src.transpose(1, 2).reshape(batch, channels, height, width))
        hyper = torch.stack(
            [decoder.output_hypernetworks_mlps[i](hidden[:, 1 + i, :]) for i in range(self.num_outputs)], dim=1
        )
        return (hyper @ upscaled.flatten(2)).view(batch, -1, *upscaled.shape[-2:])


def _image_encoder(encoder: dict[str, Any], image_size: int) -> CheckpointedImageEncoder:
    """SAM's ViT with the stored hyperparameters at input size ``image_size`` (gradient checkpointing off until the
    task's training turns it on)."""
    return CheckpointedImageEncoder(
        img_size=image_size,
        patch_size=encoder["patch_size"],
        embed_dim=encoder["embed_dim"],
        depth=encoder["depth"],
        num_heads=encoder["num_heads"],
        mlp_ratio=encoder["mlp_ratio"],
        out_chans=encoder["out_chans"],
        qkv_bias=True,
        norm_layer=partial(nn.LayerNorm, eps=1e-6),
        use_rel_pos=True,
        window_size=encoder["window_size"],
        global_attn_indexes=tuple(encoder["global_attn_indexes"]),
    )


def _mask_decoder(decoder: dict[str, Any], dim: int, num_outputs: int) -> MaskDecoder:
    """SAM's mask decoder with ``num_outputs`` mask tokens."""
    transformer = TwoWayTransformer(
        depth=decoder["depth"],
        embedding_dim=dim,
        num_heads=decoder["num_heads"],
        mlp_dim=decoder["mlp_dim"],
        attention_downsample_rate=decoder["attention_downsample_rate"],
    )
    return MaskDecoder(
        transformer_dim=dim,
        transformer=transformer,
        num_multimask_outputs=num_outputs - 1,
        iou_head_depth=decoder["iou_head_depth"],
        iou_head_hidden_dim=decoder["iou_head_hidden_dim"],
    )


def _fit(key: str, value: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Pretrained ``value`` in the shape of the model's ``like``: resized position tables, leading token rows.

    Raises:
        ConfigError: The shapes differ in a way that cannot be fitted.
    """
    if value.shape == like.shape:
        return value
    if key == "backbone.pos_embed" and value.shape[-1] == like.shape[-1]:
        grid = F.interpolate(value.permute(0, 3, 1, 2), size=like.shape[1:3], mode="bicubic", align_corners=False)
        return grid.permute(0, 2, 3, 1)
    if key.endswith((".rel_pos_h", ".rel_pos_w")) and value.shape[1] == like.shape[1]:
        # Linear along the length, as segment_anything's get_rel_pos resizes tables at run time.
        return F.interpolate(value.T.unsqueeze(0), size=like.shape[0], mode="linear").squeeze(0).T
    tokens = key == "mask_decoder.mask_tokens.weight" or key.startswith("mask_decoder.iou_prediction_head.")
    if tokens and value.shape[1:] == like.shape[1:]:
        rows = min(value.shape[0], like.shape[0])
        return torch.cat([value[:rows], like[rows:]])
    raise ConfigError(
        f"The pretrained SAM tensor {key} has shape {tuple(value.shape)}; the model expects {tuple(like.shape)}."
    )


def _token_at_least(key: str, count: int) -> bool:
    """Whether ``key`` belongs to the hypernetwork MLP of a mask token numbered ``count`` or more."""
    match = _HYPERNETWORK.match(key)
    return match is not None and int(match.group(1)) >= count


BACKENDS.register("sam")(SegmenterBackend(build=build, prepare=prepare, prompts=True))
