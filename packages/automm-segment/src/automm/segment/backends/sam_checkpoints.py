"""Segment Anything checkpoints in both formats: where they are, what architecture they hold, their weights.

Meta's official ``sam_vit_*.pth`` files are plain state dicts (read with ``weights_only=True``); Hugging Face SAM
folders (local, or a hub id such as ``facebook/sam-vit-base``) load through transformers' ``SamModel`` and are
renamed to the official keys (``official_key``). Either way the result is an official-keyed state dict and the
architecture's hyperparameters as JSON values, which ``sam_backend`` builds its one runtime model from.
"""

from __future__ import annotations

import json
import pickle
import re
from functools import partial
from pathlib import Path
from typing import Any

import torch

from automm.core.errors import CheckpointNotFoundError, ConfigError
from automm.core.plugin import hub_model_folder, is_model_folder

from .base import SegmenterOptions

HUB_IDS = {"vit_b": "facebook/sam-vit-base", "vit_l": "facebook/sam-vit-large", "vit_h": "facebook/sam-vit-huge"}
OFFICIAL_FILES = {"vit_b": "sam_vit_b_01ec64.pth", "vit_l": "sam_vit_l_0b3195.pth", "vit_h": "sam_vit_h_4b8939.pth"}
_VARIANTS = {(768, 12): "vit_b", (1024, 24): "vit_l", (1280, 32): "vit_h"}  # (embed_dim, depth) -> name
_OFFICIAL_DECODER_HEADS = 8  # not recoverable from the weights; every official SAM uses 8
_FORMATS_HINT = (
    "To fix: pass an official file such as sam_vit_b_01ec64.pth or a Hugging Face SAM folder / hub id such as "
    "facebook/sam-vit-base."
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


def official_key(hf_key: str, iou_head_depth: int = 3) -> str:
    """The official Segment Anything name of a Hugging Face ``SamModel`` state-dict key."""
    for pattern, replacement in HF_RENAMES:
        hf_key = re.sub(pattern, replacement, hf_key)
    return _HF_MLP.sub(partial(_mlp_key, iou_head_depth=iou_head_depth), hf_key)


def checkpoint_state(options: SegmenterOptions) -> dict[str, torch.Tensor]:
    """The checkpoint's weights under official keys, found again if it moved since ``prepare``."""
    fmt, stored = options.extra.get("format"), options.extra.get("checkpoint_path")
    path = Path(stored) if stored else None
    if path is None or not (path.is_file() if fmt == "official" else is_model_folder(path)):
        fmt, path = resolve_checkpoint(options.checkpoint, options.architecture)
    if fmt == "official":
        return read_official(path)
    import transformers

    model = transformers.SamModel.from_pretrained(path, dtype=torch.float32)
    depth = options.extra["decoder"]["iou_head_depth"]
    return {official_key(key, depth): value for key, value in model.state_dict().items()}


def read_official(path: Path) -> dict[str, torch.Tensor]:
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


def official_architecture(state: dict[str, torch.Tensor], path: Path) -> dict[str, Any]:
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


def hf_architecture(folder: Path) -> dict[str, Any]:
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


def _count(state: dict[str, torch.Tensor], prefix: str) -> int:
    """How many numbered submodules ``prefix<N>.`` the state dict has."""
    return len({key[len(prefix):].split(".", 1)[0] for key in state if key.startswith(prefix)})


def default_checkpoint(architecture: str) -> str:
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
