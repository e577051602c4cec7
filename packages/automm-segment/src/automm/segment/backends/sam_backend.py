"""Segment Anything (SAM) as a segmenter backend: one runtime architecture for both checkpoint formats.

SAM checkpoints come as Meta's official ``sam_vit_*.pth`` state dicts or as Hugging Face SAM folders (local, or a
hub id such as ``facebook/sam-vit-base``). Whatever the format, the model that trains, predicts and exports is built
from ``segment_anything.modeling`` (``ImageEncoderViT``, ``PromptEncoder``, ``MaskDecoder``, ``TwoWayTransformer``);
Hugging Face weights are renamed to the official keys (``official_key``). So there is one forward pass, one state
dict layout and one ONNX graph, whichever file the weights came from.

``prepare`` reads the checkpoint at fit time and stores the architecture's hyperparameters in ``options.extra``
(JSON values only); ``build(replace(options, pretrained=False))`` rebuilds it offline for a saved predictor.

The model segments without prompts: the mask decoder gets no sparse prompt, the learned "no mask" dense embedding
and ``K`` mask tokens, one per output channel. Pretrained tokens are copied, extra ones start fresh. At an input size
other than the pretrained one, the absolute position embedding and the global blocks' relative position tables
are resized when the weights are loaded.

Example:
    >>> options = prepare(SegmenterOptions("vit_b", num_outputs=1, image_size=512, checkpoint="sam_vit_b_01ec64.pth"))
    >>> model = build(options)  # [B, 3, 512, 512] in [0, 1] -> [B, 1, 512, 512] logits
"""

from __future__ import annotations

import dataclasses
import json
import pickle
import re
from functools import partial
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from segment_anything.modeling import ImageEncoderViT, MaskDecoder, PromptEncoder, TwoWayTransformer
from torch import nn

from automm.core.errors import CheckpointNotFoundError, ConfigError
from automm.core.models.checkpoints import hub_model_folder, is_model_folder

from .base import BACKENDS, SegmenterBackend, SegmenterOptions
from .conv_lora import add_conv_lora

# SAM's input normalisation, on the 0-255 scale.
PIXEL_MEAN = (123.675, 116.28, 103.53)
PIXEL_STD = (58.395, 57.12, 57.375)
HUB_IDS = {"vit_b": "facebook/sam-vit-base", "vit_l": "facebook/sam-vit-large", "vit_h": "facebook/sam-vit-huge"}
OFFICIAL_FILES = {"vit_b": "sam_vit_b_01ec64.pth", "vit_l": "sam_vit_l_0b3195.pth", "vit_h": "sam_vit_h_4b8939.pth"}
_VARIANTS = {(768, 12): "vit_b", (1024, 24): "vit_l", (1280, 32): "vit_h"}  # (embed_dim, depth) -> name
_OFFICIAL_DECODER_HEADS = 8  # not recoverable from the weights; every official SAM uses 8
_FORMATS_HINT = (
    "To fix: pass an official file such as sam_vit_b_01ec64.pth or a Hugging Face SAM folder / hub id such as "
    "facebook/sam-vit-base."
)
# Parts of SAM that prompt-free segmentation never runs: frozen so DDP does not wait for their gradients.
_UNUSED = (
    "prompt_encoder.point_embeddings.",
    "prompt_encoder.not_a_point_embed.",
    "prompt_encoder.mask_downscaling.",
    "mask_decoder.iou_prediction_head.",
)
# Official keys the architecture is read from; a state dict without them is not SAM's.
_REQUIRED = (
    "image_encoder.patch_embed.proj.weight",
    "image_encoder.pos_embed",
    "image_encoder.blocks.0.attn.rel_pos_h",
    "image_encoder.blocks.0.mlp.lin1.weight",
    "image_encoder.neck.0.weight",
    "prompt_encoder.mask_downscaling.3.weight",
    "mask_decoder.mask_tokens.weight",
    "mask_decoder.transformer.layers.0.mlp.lin1.weight",
    "mask_decoder.transformer.final_attn_token_to_image.q_proj.weight",
    "mask_decoder.iou_prediction_head.layers.0.weight",
)
# Hugging Face SamModel key -> official key, applied in order (the MLP layer indices are shifted by _mlp_key).
HF_RENAMES: tuple[tuple[str, str], ...] = (
    (r"^(shared_image_embedding|prompt_encoder\.shared_embedding)\.positional_embedding$",
     "prompt_encoder.pe_layer.positional_encoding_gaussian_matrix"),
    (r"^vision_encoder\.", "image_encoder."),
    (r"^image_encoder\.patch_embed\.projection\.", "image_encoder.patch_embed.proj."),
    (r"^image_encoder\.layers\.(\d+)\.layer_norm(\d)\.", r"image_encoder.blocks.\1.norm\2."),
    (r"^image_encoder\.layers\.", "image_encoder.blocks."),
    (r"^image_encoder\.neck\.conv1\.", "image_encoder.neck.0."),
    (r"^image_encoder\.neck\.layer_norm1\.", "image_encoder.neck.1."),
    (r"^image_encoder\.neck\.conv2\.", "image_encoder.neck.2."),
    (r"^image_encoder\.neck\.layer_norm2\.", "image_encoder.neck.3."),
    (r"^prompt_encoder\.point_embed\.", "prompt_encoder.point_embeddings."),
    (r"^prompt_encoder\.mask_embed\.conv1\.", "prompt_encoder.mask_downscaling.0."),
    (r"^prompt_encoder\.mask_embed\.layer_norm1\.", "prompt_encoder.mask_downscaling.1."),
    (r"^prompt_encoder\.mask_embed\.conv2\.", "prompt_encoder.mask_downscaling.3."),
    (r"^prompt_encoder\.mask_embed\.layer_norm2\.", "prompt_encoder.mask_downscaling.4."),
    (r"^prompt_encoder\.mask_embed\.conv3\.", "prompt_encoder.mask_downscaling.6."),
    (r"^mask_decoder\.transformer\.layers\.(\d+)\.layer_norm(\d)\.", r"mask_decoder.transformer.layers.\1.norm\2."),
    (r"^mask_decoder\.transformer\.layer_norm_final_attn\.", "mask_decoder.transformer.norm_final_attn."),
    (r"^mask_decoder\.upscale_conv1\.", "mask_decoder.output_upscaling.0."),
    (r"^mask_decoder\.upscale_layer_norm\.", "mask_decoder.output_upscaling.1."),
    (r"^mask_decoder\.upscale_conv2\.", "mask_decoder.output_upscaling.3."),
)
_HF_MLP = re.compile(
    r"^mask_decoder\.(output_hypernetworks_mlps\.\d+|iou_prediction_head)\.(proj_in|proj_out|layers\.(\d+))\."
)
_HYPERNETWORK = re.compile(r"^mask_decoder\.output_hypernetworks_mlps\.(\d+)\.")


def resolve_checkpoint(name: str, architecture: str = "vit_b") -> tuple[str, Path]:
    """``("official", file)`` or ``("hf", folder)``: a local file or folder, the Hugging Face cache, then the hub.

    The hub is skipped when offline (``HF_HUB_OFFLINE``) and for names that are paths rather than hub ids.

    Raises:
        CheckpointNotFoundError: No place had it; the message lists each place and the fix.
    """
    tried: list[str] = []
    local = Path(name).expanduser()
    if local.is_file():
        return "official", local.resolve()
    if local.is_dir():
        if is_model_folder(local):
            return "hf", local.resolve()
        tried.append(f"local folder {local}: no config.json with *.safetensors or pytorch_model*.bin weights")
    else:
        tried.append(f"local path: {local} does not exist")
    if _is_path(name):
        tried.append(f"Hugging Face cache and hub: skipped, {name!r} is a path, not a hub id")
    else:
        folder = hub_model_folder(name, tried)
        if folder is not None:
            return "hf", folder
    raise CheckpointNotFoundError(_not_found_message(name, architecture, tried))


def prepare(options: SegmenterOptions) -> SegmenterOptions:
    """Resolve the checkpoint and store the architecture it holds in ``options.extra``.

    ``extra`` gets ``format`` ("official" / "hf"), ``checkpoint_path``, ``variant`` (vit_b / vit_l / vit_h /
    custom, read from the weights, which win over ``options.architecture``), ``encoder``, ``prompt_embed_dim``,
    ``mask_in_chans`` and ``decoder``.

    Raises:
        CheckpointNotFoundError: The checkpoint is nowhere to be found.
        ConfigError: It is not a SAM checkpoint, or no checkpoint is given for a custom architecture.
    """
    name = options.checkpoint or _default_checkpoint(options.architecture)
    fmt, path = resolve_checkpoint(name, options.architecture)
    architecture = _official_architecture(_read_official(path), path) if fmt == "official" else _hf_architecture(path)
    extra = {**options.extra, **architecture, "format": fmt, "checkpoint_path": str(path)}
    return dataclasses.replace(options, checkpoint=name, extra=extra)


def build(options: SegmenterOptions) -> SamSegmenter:
    """The segmenter from ``options.extra`` (``prepare`` runs first when it is missing), pretrained if asked.

    Raises:
        CheckpointNotFoundError: ``options.pretrained`` but the checkpoint is nowhere to be found.
        ConfigError: ``num_outputs < 1``, or the checkpoint's weights do not fit the stored architecture.
    """
    if "encoder" not in options.extra:
        options = prepare(options)
    if options.num_outputs < 1:
        raise ConfigError(f"SAM needs num_outputs >= 1, got {options.num_outputs}.")
    model = SamSegmenter(options)
    if options.pretrained:
        model.load_pretrained(_pretrained_state(options))
    conv_lora = options.extra.get("conv_lora")
    if conv_lora:  # after the pretrained weights, whose keys name the plain qkv layers
        add_conv_lora(model.backbone, int(conv_lora["rank"]), int(conv_lora["experts"]))
    return model


def official_key(hf_key: str, iou_head_depth: int = 3) -> str:
    """The official Segment Anything name of a Hugging Face ``SamModel`` state-dict key."""
    for pattern, replacement in HF_RENAMES:
        hf_key = re.sub(pattern, replacement, hf_key)
    return _HF_MLP.sub(partial(_mlp_key, iou_head_depth=iou_head_depth), hf_key)


class SamSegmenter(nn.Module):
    """SAM without prompts: ViT image encoder, then a mask decoder with one mask token per output channel."""

    def __init__(self, options: SegmenterOptions) -> None:
        super().__init__()
        extra = options.extra
        self.image_size = options.image_size
        self.num_outputs = options.num_outputs
        self.backbone = _image_encoder(extra["encoder"], options.image_size)
        self.backbone.peft_target_modules = ("qkv",)  # LoRA on the attention only
        grid = options.image_size // extra["encoder"]["patch_size"]
        self.prompt_encoder = PromptEncoder(
            embed_dim=extra["prompt_embed_dim"],
            image_embedding_size=(grid, grid),
            input_image_size=(options.image_size, options.image_size),
            mask_in_chans=extra["mask_in_chans"],
        )
        self.mask_decoder = _mask_decoder(extra["decoder"], extra["prompt_embed_dim"], options.num_outputs)
        self.feature_size: int = extra["prompt_embed_dim"]
        self.register_buffer("mean", torch.tensor(PIXEL_MEAN).view(1, 3, 1, 1) / 255, persistent=False)
        self.register_buffer("std", torch.tensor(PIXEL_STD).view(1, 3, 1, 1) / 255, persistent=False)
        for name, param in self.named_parameters():
            if name.startswith(_UNUSED):
                param.requires_grad = False

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """``[B, 3, S, S]`` in ``[0, 1]`` -> ``[B, K, S, S]`` logits."""
        masks = self._decode(self.backbone((images - self.mean) / self.std))
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
        unknown = [key for key in source if key not in target and not _token_at_least(key, self.num_outputs)]
        missing = [key for key in target if key not in source and not _token_at_least(key, pretrained_tokens)]
        if unknown or missing:
            raise ConfigError(
                f"The SAM weights do not fit the architecture stored by prepare: unknown keys {unknown[:5]}, missing "
                f"keys {missing[:5]}. To fix: fit again so prepare reads the architecture from this checkpoint."
            )
        self.load_state_dict({key: _fit(key, source[key], value) if key in source else value
                              for key, value in target.items()})

    def _decode(self, embeddings: torch.Tensor) -> torch.Tensor:
        """``MaskDecoder.predict_masks`` batched over images (one token set each), all K masks, at S/4."""
        decoder = self.mask_decoder
        batch, channels, height, width = embeddings.shape
        tokens = torch.cat([decoder.iou_token.weight, decoder.mask_tokens.weight], dim=0)
        tokens = tokens.unsqueeze(0).expand(batch, -1, -1)
        dense = self.prompt_encoder.no_mask_embed.weight.reshape(1, -1, 1, 1)
        hidden, src = decoder.transformer(embeddings + dense, self.prompt_encoder.get_dense_pe(), tokens)
        upscaled = decoder.output_upscaling(src.transpose(1, 2).reshape(batch, channels, height, width))
        hyper = torch.stack(
            [mlp(hidden[:, 1 + i, :]) for i, mlp in enumerate(decoder.output_hypernetworks_mlps)], dim=1
        )
        return (hyper @ upscaled.flatten(2)).view(batch, -1, *upscaled.shape[-2:])


def _image_encoder(encoder: dict[str, Any], image_size: int) -> ImageEncoderViT:
    """SAM's ViT with the stored hyperparameters at input size ``image_size``."""
    return ImageEncoderViT(
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


def _pretrained_state(options: SegmenterOptions) -> dict[str, torch.Tensor]:
    """The checkpoint's weights under official keys, found again if it moved since ``prepare``."""
    fmt, stored = options.extra.get("format"), options.extra.get("checkpoint_path")
    path = Path(stored) if stored else None
    if path is None or not (path.is_file() if fmt == "official" else is_model_folder(path)):
        fmt, path = resolve_checkpoint(options.checkpoint, options.architecture)
    if fmt == "official":
        return _read_official(path)
    import transformers

    model = transformers.SamModel.from_pretrained(path, dtype=torch.float32)
    depth = options.extra["decoder"]["iou_head_depth"]
    return {official_key(key, depth): value for key, value in model.state_dict().items()}


def _read_official(path: Path) -> dict[str, torch.Tensor]:
    """An official SAM state dict (tensors only, ``weights_only``).

    Raises:
        ConfigError: The file is not a SAM state dict.
    """
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, pickle.UnpicklingError, EOFError, ValueError) as err:
        raise ConfigError(
            f"{path} is not a Segment Anything checkpoint: torch.load(weights_only=True) failed "
            f"({type(err).__name__}: {(str(err).strip() or '-').splitlines()[0]}). {_FORMATS_HINT}"
        ) from err
    missing = [key for key in _REQUIRED if key not in state] if isinstance(state, dict) else list(_REQUIRED)
    if missing:
        found = list(state)[:3] if isinstance(state, dict) else type(state).__name__
        raise ConfigError(
            f"{path} is not a Segment Anything state dict: it lacks {missing[:3]} (it has {found}). {_FORMATS_HINT}"
        )
    return state


def _official_architecture(state: dict[str, torch.Tensor], path: Path) -> dict[str, Any]:
    """The ``extra`` architecture entries read from an official state dict's shapes."""
    embed_dim, _, patch, _ = state["image_encoder.patch_embed.proj.weight"].shape
    grid = state["image_encoder.pos_embed"].shape[1]
    depth = _count(state, "image_encoder.blocks.")
    lengths = [state[f"image_encoder.blocks.{i}.attn.rel_pos_h"].shape[0] for i in range(depth)]
    # Global blocks' tables span the whole grid (2 * grid - 1); windowed blocks' span the window.
    windows = {length for length in lengths if length != 2 * grid - 1}
    if len(windows) > 1:
        raise ConfigError(f"{path}: the image encoder's blocks use several window sizes {sorted(windows)}.")
    out_chans = state["image_encoder.neck.0.weight"].shape[0]
    encoder = {
        "embed_dim": embed_dim,
        "depth": depth,
        "num_heads": embed_dim // state["image_encoder.blocks.0.attn.rel_pos_h"].shape[1],
        "global_attn_indexes": [i for i, length in enumerate(lengths) if length == 2 * grid - 1],
        "window_size": (windows.pop() + 1) // 2 if windows else 0,
        "patch_size": patch,
        "out_chans": out_chans,
        "mlp_ratio": state["image_encoder.blocks.0.mlp.lin1.weight"].shape[0] / embed_dim,
        "pretrain_img_size": grid * patch,
    }
    decoder = {
        "depth": _count(state, "mask_decoder.transformer.layers."),
        "num_heads": _OFFICIAL_DECODER_HEADS,
        "mlp_dim": state["mask_decoder.transformer.layers.0.mlp.lin1.weight"].shape[0],
        "attention_downsample_rate": out_chans // state[
            "mask_decoder.transformer.final_attn_token_to_image.q_proj.weight"].shape[0],
        "iou_head_depth": _count(state, "mask_decoder.iou_prediction_head.layers."),
        "iou_head_hidden_dim": state["mask_decoder.iou_prediction_head.layers.0.weight"].shape[0],
        "num_mask_tokens": state["mask_decoder.mask_tokens.weight"].shape[0],
    }
    mask_in_chans = state["prompt_encoder.mask_downscaling.3.weight"].shape[0]
    return _architecture(encoder, out_chans, mask_in_chans, decoder)


def _hf_architecture(folder: Path) -> dict[str, Any]:
    """The ``extra`` architecture entries read from a Hugging Face SAM folder's config.json.

    Raises:
        ConfigError: The folder holds another model type, or a SAM variant the official modules cannot run.
    """
    import transformers

    model_type = json.loads((folder / "config.json").read_text()).get("model_type")
    if model_type != "sam":
        raise ConfigError(f"{folder} holds a {model_type!r} model, not 'sam'. {_FORMATS_HINT}")
    config = transformers.SamConfig.from_pretrained(folder)
    vision, decoder = config.vision_config, config.mask_decoder_config
    if not (vision.use_abs_pos and vision.use_rel_pos and vision.qkv_bias) or 2 * vision.num_pos_feats != (
        vision.output_channels
    ):
        raise ConfigError(f"{folder}: a SAM config segment_anything cannot run (abs/rel pos, qkv bias, pos feats).")
    encoder = {
        "embed_dim": vision.hidden_size,
        "depth": vision.num_hidden_layers,
        "num_heads": vision.num_attention_heads,
        "global_attn_indexes": list(vision.global_attn_indexes),
        "window_size": vision.window_size,
        "patch_size": vision.patch_size,
        "out_chans": vision.output_channels,
        "mlp_ratio": vision.mlp_dim / vision.hidden_size,
        "pretrain_img_size": vision.image_size,
    }
    decoder_extra = {
        "depth": decoder.num_hidden_layers,
        "num_heads": decoder.num_attention_heads,
        "mlp_dim": decoder.mlp_dim,
        "attention_downsample_rate": decoder.attention_downsample_rate,
        "iou_head_depth": decoder.iou_head_depth,
        "iou_head_hidden_dim": decoder.iou_head_hidden_dim,
        "num_mask_tokens": decoder.num_multimask_outputs + 1,
    }
    mask_in_chans = config.prompt_encoder_config.mask_input_channels
    return _architecture(encoder, vision.output_channels, mask_in_chans, decoder_extra)


def _architecture(encoder: dict[str, Any], dim: int, mask_in_chans: int, decoder: dict[str, Any]) -> dict[str, Any]:
    """The architecture entries of ``extra`` as plain JSON values."""
    plain = json.loads(json.dumps({"encoder": encoder, "decoder": decoder}, default=int))
    variant = _VARIANTS.get((plain["encoder"]["embed_dim"], plain["encoder"]["depth"]), "custom")
    return {"variant": variant, **plain, "prompt_embed_dim": int(dim), "mask_in_chans": int(mask_in_chans)}


def _mlp_key(match: re.Match[str], iou_head_depth: int) -> str:
    """Official ``MLP.layers.N`` for a Hugging Face ``SamFeedForward`` ``proj_in`` / ``layers.i`` / ``proj_out``."""
    module, layer, hidden = match.group(1), match.group(2), match.group(3)
    depth = iou_head_depth if module == "iou_prediction_head" else 3  # the hypernetwork MLPs have 3 layers
    index = 0 if layer == "proj_in" else depth - 1 if layer == "proj_out" else int(hidden) + 1
    return f"mask_decoder.{module}.layers.{index}."


def _token_at_least(key: str, count: int) -> bool:
    """Whether ``key`` belongs to the hypernetwork MLP of a mask token numbered ``count`` or more."""
    match = _HYPERNETWORK.match(key)
    return match is not None and int(match.group(1)) >= count


def _count(state: dict[str, torch.Tensor], prefix: str) -> int:
    """How many numbered submodules ``prefix<N>.`` the state dict has."""
    return len({key[len(prefix):].split(".", 1)[0] for key in state if key.startswith(prefix)})


def _default_checkpoint(architecture: str) -> str:
    """The Hugging Face hub id of a named variant."""
    if architecture not in HUB_IDS:
        raise ConfigError(
            f"No SAM checkpoint given and architecture {architecture!r} is not one of {sorted(HUB_IDS)}. To fix: pass "
            "hyperparameters={'model.sam.checkpoint_name': '/path/sam_vit_b_01ec64.pth'} (or a Hugging Face folder)."
        )
    return HUB_IDS[architecture]


def _not_found_message(name: str, architecture: str, tried: list[str]) -> str:
    """Every place looked, then how to get the checkpoint onto this machine."""
    variant = architecture if architecture in OFFICIAL_FILES else "vit_b"
    file, hub_id = OFFICIAL_FILES[variant], HUB_IDS[variant]
    places = "\n".join(f"  - {line}" for line in tried)
    return (
        f"Could not find the SAM checkpoint {name!r}. Looked in:\n{places}\nTo fix: on a machine with network access "
        f"download {file} (https://dl.fbaipublicfiles.com/segment_anything/{file}), copy it here and pass its path as "
        f"hyperparameters={{'model.sam.checkpoint_name': '/path/{file}'}}; or download the Hugging Face folder "
        f"(`hf download {hub_id} --local-dir sam`) and pass the folder the same way."
    )


def _is_path(name: str) -> bool:
    """Whether ``name`` is a file-system path rather than a hub id (``owner/name``)."""
    path = Path(name)
    return path.suffix in {".pth", ".pt"} or path.is_absolute() or name.startswith((".", "~")) or name.count("/") > 1


BACKENDS.register("sam")(SegmenterBackend(build=build, prepare=prepare))
