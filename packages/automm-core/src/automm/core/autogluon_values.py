"""Value translations of AutoGluon-MM hyperparameters, and its dotlist spelling (``"optim.lr=1e-4 max_epochs=5"``).

Each translator takes the AutoGluon value and returns ``{automm key: value}`` (empty when the value is what automm
does anyway), or raises ``ConfigError`` naming the automm setting to write instead. The key table that uses them
is ``automm.core.autogluon_keys``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import ConfigError
from .suggest import did_you_mean

Translation = dict[str, Any]
Translator = Callable[[Any], Translation]


def refuse(key: str, value: Any, why: str) -> ConfigError:
    """The error for an AutoGluon value automm has no counterpart for."""
    return ConfigError(f"AutoGluon-MM's {key}={value!r} has no automm counterpart: {why}")


def to(target: str) -> Translator:
    """The value unchanged, under automm's ``target`` key."""
    return lambda value: {target: value}


@dataclass(frozen=True)
class Choice:
    """AutoGluon's value names mapped onto automm's (``values``); ``refused`` values say why they have none."""

    key: str
    target: str
    values: Mapping[Any, Any]
    refused: Mapping[Any, str] = field(default_factory=dict)

    def __call__(self, value: Any) -> Translation:
        name = value.strip().lower() if isinstance(value, str) else value
        if name in self.refused:
            raise refuse(self.key, value, self.refused[name])
        if name not in self.values and self.key == self.target:  # automm's own key too: its check names choices
            return {self.target: value}
        if name not in self.values:
            known = [str(v) for v in (*self.values, *self.refused) if v is not None]
            raise ConfigError(f"AutoGluon-MM's {self.key} must be one of {known}, got {value!r}."
                              f"{did_you_mean(str(value), known)} In automm write {self.target!r}.")
        return {self.target: self.values[name]}

    def describe(self) -> str:
        """The value mapping, for the documentation: ``a -> b``, then the refused values."""
        values = dict.fromkeys(str(a) if str(a) == str(b) else f"{a} -> {b}"
                               for a, b in self.values.items() if a is not None)
        refused = dict.fromkeys(str(a) for a in self.refused)
        return "values: " + ", ".join(values) + ("; refused: " + ", ".join(refused) if refused else "")


def choice(key: str, target: str, values: Mapping[Any, Any], refused: Mapping[Any, str] | None = None) -> Choice:
    """AutoGluon's value names mapped onto automm's (``values``); ``refused`` values say why they have none."""
    return Choice(key, target, values, refused or {})


@dataclass(frozen=True)
class AcceptOnly:
    """A setting automm always behaves as ``defaults`` say: those values are accepted (no change), others refused."""

    key: str
    defaults: tuple[Any, ...]
    why: str

    def __call__(self, value: Any) -> Translation:
        if value in self.defaults:
            return {}
        raise refuse(self.key, value, self.why)

    def describe(self) -> str:
        accepted = " or ".join(repr(d) for d in self.defaults)
        return f"accepts {accepted} (what automm does); other values refused: {self.why}"


def accept_only(key: str, defaults: Sequence[Any], why: str) -> AcceptOnly:
    """``AcceptOnly`` of ``key``: ``defaults`` pass with no change, other values are refused saying ``why``."""
    return AcceptOnly(key, tuple(defaults), why)


def with_extra(translator: Translator, extra: Mapping[str, Any]) -> Translator:
    """``translator``'s keys plus fixed ``extra`` settings (e.g. the FT-Transformer encoder for its sizes)."""
    return lambda value: {**extra, **translator(value)}


def warmup(value: Any) -> Translation:
    """A float is a fraction of the training steps (``optim.warmup_ratio``), an integer a number of steps.

    AutoGluon's integer 0 (no warmup) is automm's "use optim.warmup_ratio": write 0.0 for no warmup.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"AutoGluon-MM's optim.warmup_steps must be a fraction (float) or a number of steps "
                          f"(int), got {value!r}.")
    if isinstance(value, float):
        return {"optim.warmup_ratio": value}
    return {"optim.warmup_steps": value}  # automm's own key too, where 0 means "use optim.warmup_ratio"


def val_check_interval(value: Any) -> Translation:
    """A fraction of an epoch becomes that many validations per epoch (0.5 -> 2)."""
    if isinstance(value, float) and 0 < value <= 1:
        return {"optim.val_checks_per_epoch": max(1, round(1 / value))}
    raise refuse("optim.val_check_interval", value, "automm validates a whole number of times per epoch, not every "
                 "N steps; write optim.val_checks_per_epoch (AutoGluon's 0.5 is 2).")


def max_epochs(value: Any) -> Translation:
    if value == -1:
        raise refuse("optim.max_epochs", value, "automm needs an epoch bound; cap the steps with optim.max_steps "
                     "and give optim.max_epochs a bound large enough not to stop first.")
    return {"optim.max_epochs": value}


def max_steps(value: Any) -> Translation:
    return {"optim.max_steps": 0 if value == -1 else value}  # AutoGluon's -1 and automm's 0: no cap


def lr_choice(value: Any) -> Translation:
    """automm decays the backbone's learning rate by depth and multiplies the head's, together."""
    plans = {"layerwise_decay": {"optim.head_lr_multiplier": 1.0},
             "two_stages": {"optim.layerwise_lr_decay": 1.0},
             "single_stage": {"optim.layerwise_lr_decay": 1.0, "optim.head_lr_multiplier": 1.0}}
    return _plan("optim.lr_choice", value, plans)


def _plan(key: str, value: Any, plans: Mapping[str, Translation]) -> Translation:
    if value not in plans:
        raise ConfigError(f"AutoGluon-MM's {key} must be one of {sorted(plans)}, got {value!r}."
                          f"{did_you_mean(str(value), list(plans))}")
    return dict(plans[value])


def num_gpus(value: Any) -> Translation:
    """-1: every visible GPU (the CPU when there is none); 0: the CPU; n: n GPUs."""
    if isinstance(value, bool) or not isinstance(value, int) or value < -1:
        raise ConfigError(f"AutoGluon-MM's env.num_gpus must be -1 (all), 0 (CPU) or a GPU count, got {value!r}. "
                          f"In automm write env.accelerator and env.devices.")
    if value == 0:
        return {"env.accelerator": "cpu", "env.devices": 1}
    if value > 0:
        return {"env.accelerator": "gpu", "env.devices": value}
    count = _gpu_count()
    return {"env.accelerator": "gpu", "env.devices": count} if count else {"env.accelerator": "cpu", "env.devices": 1}


def _gpu_count() -> int:
    try:
        import torch  # lazy: the runtime install has no torch, and never reads AutoGluon keys
    except ImportError:
        return 0
    return torch.cuda.device_count()


def max_text_len(target: str) -> Translator:
    """AutoGluon's -1 (the tokenizer's maximum) is 512, the position limit of the BERT-family checkpoints."""
    return lambda value: {target: 512 if value == -1 else value}


def text_augment(value: Any) -> Translation:
    """AutoGluon applies one EDA operation of strength up to ``value``; automm deletes and swaps words at it."""
    return {"model.text.augment_delete": value, "model.text.augment_swap": value}


IMAGE_POLICIES = {"random_resize_crop": "crop_flip", "random_horizontal_flip": "crop_flip",
                  "trivial_augment": "trivial_augment"}
IMAGE_FIXED = ("resize_to_square", "resize_shorter_side", "center_crop")  # what automm does at prediction time


def train_transforms(value: Any) -> Translation:
    """A list of AutoGluon transform names -> ``model.image.augment`` and ``augment_policy``."""
    names = [value] if isinstance(value, str) else list(value)
    unknown = [n for n in names if not isinstance(n, str) or n not in (*IMAGE_POLICIES, *IMAGE_FIXED)]
    if unknown:
        raise refuse("model.timm_image.train_transforms", unknown, "automm's training augmentations are "
                     "'crop_flip' (random_resize_crop, random_horizontal_flip) and 'trivial_augment'; write "
                     "model.image.augment_policy (and model.image.augment=False for none).")
    policies = {IMAGE_POLICIES[n] for n in names if n in IMAGE_POLICIES}
    if not policies:
        return {"model.image.augment": False}
    return {"model.image.augment": True,
            "model.image.augment_policy": "trivial_augment" if "trivial_augment" in policies else "crop_flip"}


def numerical_scaler(key: str) -> Translator:
    """True (AutoGluon's default) is the z-score transform; automm always centres and scales numbers."""

    def translate(value: Any) -> Translation:
        if value in (True, "true", "True"):
            return {"model.tabular.numerical_transform": "standard"}
        raise refuse(key, value, "automm always centres and scales numeric columns; choose how with "
                     "model.tabular.numerical_transform ('standard' or 'quantile_normal').")

    return translate


def mixup_on(value: Any) -> Translation:
    """True: AutoGluon's default strength 0.8 (an explicit data.mixup.mixup_alpha wins); False: off."""
    return {"optim.mixup_alpha": 0.8 if value in (True, "true", "True") else 0.0}


# AutoGluon model-name prefixes (a name may carry a suffix, "hf_text_0") -> the automm settings they select.
MODEL_NAMES: dict[str, Translation] = {
    "hf_text": {"text": True}, "clip": {"text": True, "image": True}, "ner_text": {"text": True},
    "timm_image": {"image": True},
    "ft_transformer": {"tabular": True, "model.tabular.model": "ft_transformer"},
    "categorical_transformer": {"tabular": True, "model.tabular.model": "ft_transformer"},
    "numerical_transformer": {"tabular": True, "model.tabular.model": "ft_transformer"},
    "numerical_mlp": {"tabular": True, "model.tabular.model": "mlp"},
    "categorical_mlp": {"tabular": True, "model.tabular.model": "mlp"},
    "fusion_mlp": {"model.fusion.model": "mlp"}, "fusion_transformer": {"model.fusion.model": "transformer"},
    "fusion_ner": {}, "mmdet_image": {}, "sam": {},  # the task's own network: nothing to select
}
MODALITIES = ("text", "image", "tabular")
NO_MODEL = {"document_transformer": "automm has no document (LayoutLM) modality",
            "t_few": "automm has no T-Few model; use problem_type='few_shot_classification'"}


def model_names(value: Any) -> Translation:
    """AutoGluon's backbone list -> ``model.modalities`` (+ the tabular encoder and the fusion model it names)."""
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise ConfigError(f"AutoGluon-MM's model.names must be a list of model names, got {value!r}.")
    settings: Translation = {}
    for name in names:
        prefix = next((p for p in (*MODEL_NAMES, *NO_MODEL) if name.lower().startswith(p)), None)
        if prefix in NO_MODEL:
            raise refuse("model.names", name, NO_MODEL[prefix] + ".")
        if prefix is None:
            raise ConfigError(f"AutoGluon-MM's model.names entry {name!r} names no model automm knows."
                              f"{did_you_mean(name, list(MODEL_NAMES))} Known: {sorted(MODEL_NAMES)}.")
        for key, setting in MODEL_NAMES[prefix].items():
            if key == "model.tabular.model" and settings.get(key) == "ft_transformer":
                continue  # an FT-Transformer named anywhere in the list wins over the MLPs
            settings[key] = setting
    chosen = tuple(m for m in MODALITIES if settings.pop(m, False))
    return {"model.modalities": chosen, **settings} if chosen else settings


# --- AutoGluon's dotlist spelling of hyperparameters ---------------------------------------------------------


def parse_dotlist(spec: str | Sequence[str]) -> dict[str, Any]:
    """``"optim.lr=1e-4 model.names=[hf_text, timm_image]"`` or ``["optim.lr=1e-4", ...]`` -> a dict.

    As AutoGluon: the text splits on whitespace; a piece without ``=`` continues the previous value (joined by a
    space). Values read as OmegaConf reads them: numbers, true/false, null, ``[a, b]`` lists; anything else is a
    string (quotes stripped).
    """
    pieces = spec.split() if isinstance(spec, str) else [p for item in spec for p in _pieces(item)]
    parsed: dict[str, Any] = {}
    key: str | None = None
    for piece in pieces:
        if "=" in piece:
            key, _, text = piece.partition("=")
            parsed[key.strip()] = text
        elif key is None:
            raise ConfigError(f"hyperparameters {spec!r}: {piece!r} is not a 'key=value' pair. Write "
                              f"\"optim.lr=1e-4 optim.max_epochs=5\", a list of such strings, or a dict.")
        else:
            parsed[key] = f"{parsed[key]} {piece}"
    return {k: parse_value(v) for k, v in parsed.items()}


def _pieces(item: Any) -> list[str]:
    if not isinstance(item, str):
        raise ConfigError(f"hyperparameters must be a dict, a dotlist string or a list of 'key=value' strings; the "
                          f"list holds {item!r}.")
    return item.split()


_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf|nan)$")


def parse_value(text: str) -> Any:
    """One dotlist value: ``5`` -> 5, ``1e-4`` -> 0.0001, ``true`` -> True, ``null`` -> None, ``[a, 1]`` -> list."""
    text = text.strip()
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("null", "none", "~"):
        return None
    if text.startswith("[") and text.endswith("]"):
        inner = text[1:-1].strip()
        return [parse_value(part) for part in inner.split(",")] if inner else []
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if _NUMBER.match(lowered):
        return int(text) if re.fullmatch(r"[+-]?\d+", text) else float(text)
    return text


def as_hyperparameters(value: Any) -> Mapping[str, Any] | None:
    """A ``hyperparameters=`` argument as a dict: dicts pass, dotlist strings and lists of ``"k=v"`` are parsed."""
    if value is None or isinstance(value, Mapping):
        return value
    if isinstance(value, str) or (isinstance(value, Sequence) and not isinstance(value, bytes)):
        return parse_dotlist(value)
    raise ConfigError(f'hyperparameters must be a dict such as {{"optim.lr": 1e-4}}, a dotlist string such as '
                      f'"optim.lr=1e-4 optim.max_epochs=5", or a list of such strings; got {type(value).__name__}.')


__all__ = ["as_hyperparameters", "parse_dotlist", "parse_value", "refuse"]
