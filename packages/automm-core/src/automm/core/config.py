"""Typed, frozen configuration objects and dotted-key overrides (``{"optim.lr": 1e-4}``)."""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .autogluon_keys import translate, translate_all
from .autogluon_values import as_hyperparameters
from .base.tabular import NUMERICAL_TRANSFORMS
from .errors import ConfigError
from .suggest import did_you_mean

MINILM_L6 = "sentence-transformers/all-MiniLM-L6-v2"
EFFICIENTNET_LITE0 = "tf_efficientnet_lite0"


@dataclass(frozen=True)
class TextConfig:
    """Text backbone: any Hugging Face model name or local folder."""

    checkpoint: str = MINILM_L6
    pretrained: bool = True  # False: the checkpoint's architecture with random weights
    pooling: str = "mean"  # "cls" or "mean"
    max_length: int = 128
    num_layers: int = 0  # keep the backbone's first N transformer layers (a smaller, faster student); 0: all
    # EDA-style word augmentation of training rows (off at 0; never at prediction): each word is deleted with
    # probability augment_delete, and round(augment_swap * words) random pairs of words swap places.
    augment_delete: float = 0.0
    augment_swap: float = 0.0


@dataclass(frozen=True)
class ImageConfig:
    """Image backbone: a timm architecture name; weights found by the checkpoint resolver."""

    checkpoint: str = EFFICIENTNET_LITE0
    pretrained: bool = True
    weights_path: str = ""  # optional local weights file for the architecture
    image_size: int = 224
    max_images_per_row: int = 2
    augment: bool = True
    # Training-time image augmentation when ``augment``: "crop_flip" (random resized crop and horizontal flip) or
    # "trivial_augment" (the same, then torchvision's TrivialAugmentWide).
    augment_policy: str = "crop_flip"
    # Keep BatchNorm running statistics from pretraining while fine-tuning (small batches, or images unlike
    # the pretraining data, otherwise shift them and can undo what the features were worth).
    freeze_batchnorm: bool = False


@dataclass(frozen=True)
class TabularConfig:
    """Encoder of the numeric and categorical columns."""

    # "auto": an FT-Transformer for tables without text or images (benchmarks/tabular.py), the MLP beside them
    model: str = "auto"  # "auto", "mlp" or "ft_transformer"
    numerical_transform: str = "quantile_normal"  # or "standard" (z-score clipped at 10, before 0.3)
    hidden_size: int = 128
    num_layers: int = 2
    dropout: float = 0.1


@dataclass(frozen=True)
class FusionConfig:
    """Late fusion of the per-modality features (skipped when there is one modality, except "l2_concat")."""

    model: str = "mlp"  # "mlp", "transformer" or "l2_concat" (parameter-free, also for one modality)
    hidden_size: int = 256
    dropout: float = 0.1
    modality_dropout: float = 0.0
    # A row without text or images: "learnable" substitutes a learned embedding for the modality's features,
    # "impute" encodes the empty input as it is (empty text through the text encoder, zero image features).
    missing_modality: str = "learnable"
    # Training-only objective aligning each row's text and image features (rows holding both): "none",
    # "positive_kl" (symmetric KL between the softmaxed projections of a row's own pair) or "infonce" (contrastive
    # across the batch, as CLIP); its loss, times alignment_weight, adds to the task's.
    alignment: str = "none"
    alignment_weight: float = 0.1


@dataclass(frozen=True)
class ModelConfig:
    text: TextConfig = field(default_factory=TextConfig)
    image: ImageConfig = field(default_factory=ImageConfig)
    tabular: TabularConfig = field(default_factory=TabularConfig)
    fusion: FusionConfig = field(default_factory=FusionConfig)
    # The modalities that get a backbone ("text", "image", "tabular"); columns of the others are dropped. Empty:
    # every modality that has columns (AutoGluon's model.names chooses the backbones the same way).
    modalities: tuple[str, ...] = ()

    def __post_init__(self) -> None:  # a list (from JSON or a user) or one name becomes a tuple
        value = self.modalities
        if isinstance(value, str):
            value = (value,)
        if isinstance(value, list | tuple):
            object.__setattr__(self, "modalities", tuple(value))


@dataclass(frozen=True)
class OptimConfig:
    """Optimisation; the loss and its settings belong to the task, in ``Config.task`` (e.g. ``task.loss``)."""

    lr: float = 1e-4
    head_lr_multiplier: float = 10.0
    layerwise_lr_decay: float = 0.9
    weight_decay: float = 1e-3
    warmup_ratio: float = 0.1
    max_epochs: int = 10
    batch_size: int = 32
    gradient_clip: float = 1.0
    gradient_clip_algorithm: str = "norm"  # "norm" (clip the gradients' total norm) or "value" (each element)
    patience: int = 3
    top_k: int = 3
    val_checks_per_epoch: int = 1
    val_every_n_epochs: int = 1  # validate (early stopping, top-k checkpoints) every N epochs
    max_num_tuning_data: int = 0  # validate on at most this many rows (a seeded sample); 0: all of them
    precision: str = "auto"  # "auto", "32", "16-mixed", "bf16-mixed"
    peft: str = "none"  # "none", "lora", "ia3" or "bitfit" (SAM's Conv-LoRA: segmentation's task.conv_lora)
    lora_rank: int = 8
    lora_alpha: float = 0.0  # LoRA's scaling numerator (alpha / rank); 0: 2 * lora_rank
    checkpoint_every_n_steps: int = 50
    # Mixup of the fused embeddings within a batch, lambda ~ Beta(alpha, alpha); 0: off.
    mixup_alpha: float = 0.0
    optimizer: str = "adamw"  # "adamw", "adam" or "sgd" (momentum 0.9)
    # After warmup: "cosine" (to end_lr), "polynomial" (linear to end_lr), "linear" (to 0) or "constant".
    lr_schedule: str = "cosine"
    end_lr: float = 0.0  # the learning rate the cosine and polynomial schedules end at (must be below lr)
    max_steps: int = 0  # stop after this many optimizer steps (the schedule spans them); 0: no cap
    warmup_steps: int = 0  # warmup over this many optimizer steps; 0: warmup_ratio of the schedule
    # Rows per optimizer step: gradients accumulate over ceil(effective / (batch_size x devices x nodes))
    # batches. 0: batch_size x devices x nodes, no accumulation.
    effective_batch_size: int = 0
    soup: str = "greedy"  # combine the top_k checkpoints: "greedy" soup, "uniform" average, or the "best" one


@dataclass(frozen=True)
class EnvConfig:
    eval_batch_size: int = 128
    num_workers: int = 0
    accelerator: str = "auto"
    devices: int = 1  # processes per node; >1 trains with DDP
    num_nodes: int = 1
    strategy: str = "auto"  # "auto": ddp_fork for several processes on one node, ddp across nodes
    realtime_max_rows: int = 64  # predict() on fewer rows skips the DataLoader machinery
    log_every_n_steps: int = 50  # Lightning's: how often training metrics (the loss) are logged
    # torch.compile the network while training, with these mode, dynamic and backend settings.
    compile: bool = False
    compile_mode: str = "default"  # "default", "reduce-overhead", "max-autotune" or "max-autotune-no-cudagraphs"
    compile_dynamic: bool | None = None  # None: let torch decide when shapes change
    compile_backend: str = "inductor"


@dataclass(frozen=True)
class DistillerConfig:
    """Knowledge distillation, used when ``fit(..., teacher_predictor=...)`` is given (AutoGluon's names).

    The training loss is ``hard_label_weight`` times the task's loss on the true labels, plus ``soft_label_weight``
    times the task's soft-label loss to the teacher's outputs (KL divergence at ``temperature`` for classification,
    MSE for regression), plus ``output_feature_loss_weight`` times the MSE between a learned projection of the
    student's fused embedding and the teacher's (scaled to unit mean square).
    """

    temperature: float = 5.0
    soft_label_weight: float = 1.0
    output_feature_loss_weight: float = 0.1
    hard_label_weight: float = 1.0  # the weight of the task's loss on the true labels


@dataclass(frozen=True)
class EnsembleConfig:
    """Ensembles: over the network/training variants of ``automm.core.ensemble.variants.VARIANTS`` (``enabled``),
    or over the members a fit trains with the time its first network left (``budget``).

    ``enabled``: each variant is fitted within a share of the time left; ``MultiModalPredictor(use_ensemble=True,
    ensemble_size=...)`` sets ``enabled`` and ``size``. ``budget`` "auto": with a ``time_limit``, when the first
    network stops early, keep training members in the time left (``automm.core.ensemble.budget``); "off": one
    network, as before automm-core 0.7. Either way greedy weighted selection (Caruana et al. 2004) picks the
    weights on validation rows the members did not early-stop on, where there are enough of them.
    """

    enabled: bool = False
    size: int = 0  # train at most this many members; 0: every variant that applies / the budget policy's cap
    selection_rounds: int = 25
    budget: str = "auto"


@dataclass(frozen=True)
class NoTaskConfig:
    """The ``task`` section of a problem type whose task package adds no settings of its own."""


@dataclass(frozen=True)
class Config:
    """The whole configuration of a predictor. Build with presets, tweak with dotted overrides.

    ``task`` holds the task package's own frozen dataclass (e.g. ``task.shared_towers`` for matching);
    it validates itself in ``__post_init__``. Its optional class attribute ``aliases`` maps other dotted names
    to its keys (e.g. AutoGluon's ``"model.sam.checkpoint_name"`` -> ``"task.checkpoint"``), and
    ``value_aliases`` maps a (key, value) pair to another (e.g. ``("optim.peft", "conv_lora")`` ->
    ``("task.conv_lora", True)``).
    """

    model: ModelConfig = field(default_factory=ModelConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    env: EnvConfig = field(default_factory=EnvConfig)
    distiller: DistillerConfig = field(default_factory=DistillerConfig)
    ensemble: EnsembleConfig = field(default_factory=EnsembleConfig)
    task: Any = field(default_factory=NoTaskConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], task: Any = None) -> Config:
        """Rebuild from ``to_dict()``; ``task`` is the task package's default ``task`` section.

        Reads what older versions saved too: a key that moved to the task section arrives through its ``aliases``,
        and is dropped for tasks that never read it.
        """
        task = task if task is not None else NoTaskConfig()
        aliases: Mapping[str, str] = getattr(task, "aliases", {})
        flat = {k: v for k, v in flatten(data).items() if k in aliases or k not in MOVED_TO_TASK}
        return apply_overrides(cls(task=task), flat)

    def override(self, overrides: Mapping[str, Any] | str | list[str] | None) -> Config:
        """This config with ``overrides``: a dict of dotted or nested keys, or AutoGluon's dotlist string or list.

        AutoGluon-MM's keys are read through ``automm.core.autogluon_keys`` (``"optim.lr_decay"`` ->
        ``"optim.layerwise_lr_decay"``), or refused with the reason.
        """
        return apply_overrides(self, flatten(as_hyperparameters(overrides) or {}))


# The sections of Config a task reads unless its ``Task.config_sections`` says otherwise.
CORE_SECTIONS = ("model.modalities", "model.text", "model.image", "model.tabular", "model.fusion", "optim", "env",
                 "distiller", "ensemble")


def check_applicable(overrides: Mapping[str, Any], sections: tuple[str, ...], hints: Mapping[str, str],
                     problem_type: str) -> None:
    """Refuse a key of core's Config that ``problem_type``'s task does not read, before anything is built.

    ``sections`` are the dotted prefixes the task reads (``Task.config_sections``); ``hints`` name the task key
    to use instead of a refused one (``Task.config_hints``). Task keys, aliases and unknown keys pass: the
    override itself resolves or names them.
    """
    core_keys = set(valid_keys())
    for flat in _automm_names(flatten(overrides)):  # a search space {"choice": [...]} flattens to "<key>.choice"
        parts = flat.split(".")
        key = next((k for k in (".".join(parts[:n]) for n in range(len(parts), 0, -1)) if k in core_keys), None)
        if key is None or any(key == s or key.startswith(f"{s}.") for s in sections):
            continue
        instead = hints.get(key)
        fix = (f"Use {instead!r} instead." if instead
               else f"Remove it; this task reads {sorted(sections)} and its own 'task.*' settings.")
        raise ConfigError(f"Hyperparameter {key!r} does not apply to problem_type {problem_type!r}: its task does "
                          f"not read it. {fix}")


def _automm_names(flat: Mapping[str, Any]) -> list[str]:
    """The automm keys ``flat`` sets: AutoGluon keys as the table translates them; refused ones are left to the
    override, after the task's own aliases had their say."""
    names: list[str] = []
    for key, value in flat.items():
        try:
            names += list(translate(key, value) or {key: value})
        except ConfigError:
            names.append(key)
    return names


# Keys automm-core 0.2.x saved in every config, now settings of the tasks that read them (in their `aliases`).
MOVED_TO_TASK = ("optim.loss", "optim.label_smoothing", "optim.focal_gamma")


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"optim": {"lr": 1}}`` -> ``{"optim.lr": 1}``; already dotted keys pass through."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def valid_keys(config: Any = None, prefix: str = "") -> list[str]:
    """Every dotted key a user may override."""
    config = Config() if config is None else config
    keys = []
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value):
            keys += valid_keys(value, f"{prefix}{f.name}.")
        else:
            keys.append(prefix + f.name)
    return keys


# Names users reach for that mean one of ours; used only to suggest the right key.
SYNONYMS = {"learning_rate": "lr", "lr_rate": "lr", "epochs": "max_epochs", "num_epochs": "max_epochs",
            "lr_decay": "layerwise_lr_decay", "clip": "gradient_clip", "early_stopping_patience": "patience"}


def apply_overrides(config: Config, overrides: Mapping[str, Any]) -> Config:
    """Return a copy of ``config`` with dotted-key ``overrides``; unknown keys suggest the closest."""
    keys = valid_keys(config)
    aliases: Mapping[str, str] = getattr(config.task, "aliases", {})  # the task section's other names for its keys
    value_aliases: Mapping[tuple[str, Any], tuple[str, Any]] = getattr(config.task, "value_aliases", {})

    def own(key: str, value: Any) -> bool:  # the task section maps this AutoGluon key itself
        return key in aliases or (_hashable(value) and (key, value) in value_aliases)

    overrides, origin = translate_all(overrides, own)  # AutoGluon-MM's keys -> automm's (automm.core.autogluon_keys)
    for key, value in overrides.items():
        if _hashable(value):  # hashable settings only; search spaces are dicts
            key, value = value_aliases.get((key, value), (key, value))
        key = aliases.get(key, key)
        if key not in keys:
            if key in origin:
                raise ConfigError(f"AutoGluon-MM's hyperparameter {origin[key]!r} is automm's {key!r}, which this "
                                  f"problem type's configuration does not have. Remove it; valid keys: {keys}")
            section, _, leaf = key.rpartition(".")
            synonym = f"{section}.{SYNONYMS[leaf]}" if leaf in SYNONYMS else ""
            hint = f' Did you mean "{synonym}"?' if synonym in keys else did_you_mean(key, keys)
            raise ConfigError(f"Unknown hyperparameter {key!r}.{hint} Valid keys: {keys}")
        config = _replace_path(config, key.split("."), value, origin.get(key, key))
    check_ranges(config)
    return config


def _hashable(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


# Allowed values of fields whose type alone does not stop values that fail deep in torch or Lightning.
CHOICES: dict[str, tuple[str, ...]] = {
    "model.text.pooling": ("cls", "mean"),
    "model.tabular.numerical_transform": NUMERICAL_TRANSFORMS,
    "model.tabular.model": ("auto", "mlp", "ft_transformer"),
    "model.image.augment_policy": ("crop_flip", "trivial_augment"),
    "model.fusion.missing_modality": ("learnable", "impute"),
    "ensemble.budget": ("auto", "off"),
    "model.fusion.alignment": ("none", "positive_kl", "infonce"),
    "optim.precision": ("auto", "32", "32-true", "16-mixed", "bf16-mixed", "16-true", "bf16-true"),
    "optim.peft": ("none", "lora", "ia3", "bitfit"),
    "optim.optimizer": ("adamw", "adam", "sgd"),
    "optim.lr_schedule": ("cosine", "polynomial", "linear", "constant"),
    "optim.gradient_clip_algorithm": ("norm", "value"),
    "optim.soup": ("greedy", "uniform", "best"),
    "env.compile_mode": ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs"),
    "env.accelerator": ("auto", "cpu", "gpu", "cuda", "mps", "tpu"),
}

Rule = tuple[Callable[[Any], bool], str]  # (test, what is allowed)


def _at_least(low: int) -> Rule:
    return (lambda v: v >= low), f">= {low}"


_POSITIVE: Rule = ((lambda v: v > 0), "> 0")
_NON_NEGATIVE: Rule = ((lambda v: v >= 0), ">= 0")
_FRACTION: Rule = ((lambda v: 0 <= v < 1), "in [0, 1)")

LIMITS: dict[str, Rule] = {
    "model.text.max_length": _at_least(8),
    "model.text.num_layers": _NON_NEGATIVE,
    "model.text.augment_delete": _FRACTION,
    "model.text.augment_swap": ((lambda v: 0 <= v <= 1), "in [0, 1]"),
    "model.image.image_size": _at_least(1),
    "model.image.max_images_per_row": _at_least(1),
    "model.tabular.hidden_size": _at_least(1),
    "model.tabular.num_layers": _NON_NEGATIVE,
    "model.tabular.dropout": _FRACTION,
    "model.fusion.hidden_size": _at_least(1),
    "model.fusion.dropout": _FRACTION,
    "model.fusion.modality_dropout": _FRACTION,
    "model.fusion.alignment_weight": _POSITIVE,
    "optim.lr": _POSITIVE,
    "optim.head_lr_multiplier": _POSITIVE,
    "optim.layerwise_lr_decay": ((lambda v: 0 < v <= 1), "in (0, 1]"),
    "optim.weight_decay": _NON_NEGATIVE,
    "optim.warmup_ratio": ((lambda v: 0 <= v <= 1), "in [0, 1]"),
    "optim.max_epochs": _at_least(1),
    "optim.batch_size": _at_least(1),
    "optim.gradient_clip": _NON_NEGATIVE,
    "optim.patience": _NON_NEGATIVE,
    "optim.top_k": _at_least(1),
    "optim.val_checks_per_epoch": _at_least(1),
    "optim.val_every_n_epochs": _at_least(1),
    "optim.max_num_tuning_data": _NON_NEGATIVE,
    "optim.lora_rank": _at_least(1),
    "optim.checkpoint_every_n_steps": _at_least(1),
    "distiller.temperature": _POSITIVE,
    "distiller.soft_label_weight": _NON_NEGATIVE,
    "distiller.output_feature_loss_weight": _NON_NEGATIVE,
    "optim.mixup_alpha": _NON_NEGATIVE,
    "optim.lora_alpha": _NON_NEGATIVE,
    "optim.end_lr": _NON_NEGATIVE,
    "optim.max_steps": _NON_NEGATIVE,
    "optim.warmup_steps": _NON_NEGATIVE,
    "optim.effective_batch_size": _NON_NEGATIVE,
    "distiller.hard_label_weight": _NON_NEGATIVE,
    "env.log_every_n_steps": _at_least(1),
    "env.eval_batch_size": _at_least(1),
    "env.num_workers": _NON_NEGATIVE,
    "env.realtime_max_rows": _NON_NEGATIVE,
    "ensemble.size": _NON_NEGATIVE,
    "ensemble.selection_rounds": _at_least(1),
}


def check_ranges(config: Config) -> None:
    """Fail naming the first field whose value is outside its allowed choices or range."""
    for key, choices in CHOICES.items():
        value = get_value(config, key)
        if value not in choices:
            raise ConfigError(f"Hyperparameter {key!r} must be one of {choices}, got {value!r}."
                              f"{did_you_mean(value, choices)}")
    for key, (allowed, description) in LIMITS.items():
        value = get_value(config, key)
        if not allowed(value):
            raise ConfigError(f"Hyperparameter {key!r} must be {description}, got {value!r}.")
    fusion = config.model.fusion
    if fusion.missing_modality == "impute" and fusion.modality_dropout > 0:
        raise ConfigError("Hyperparameter 'model.fusion.modality_dropout' replaces dropped modalities with the "
                          "learnable missing embedding, which 'model.fusion.missing_modality'='impute' does not "
                          "have: set modality_dropout to 0 or missing_modality to 'learnable'.")
    _check_training(config)


MODALITIES = ("text", "image", "tabular")


def _check_training(config: Config) -> None:
    """The checks of ``model.modalities``, ``optim.end_lr`` and ``env.compile_dynamic`` that span several values."""
    modalities = config.model.modalities
    if not isinstance(modalities, tuple) or any(m not in MODALITIES for m in modalities):
        wrong = next((m for m in modalities if m not in MODALITIES), modalities) if isinstance(
            modalities, tuple) else modalities
        raise ConfigError(f"Hyperparameter 'model.modalities' must list some of {MODALITIES} (empty: all), got "
                          f"{modalities!r}.{did_you_mean(str(wrong), MODALITIES)}")
    optim = config.optim
    if optim.lr_schedule in ("cosine", "polynomial") and optim.end_lr >= optim.lr:
        raise ConfigError(f"Hyperparameter 'optim.end_lr' ({optim.end_lr!r}) must be below 'optim.lr' "
                          f"({optim.lr!r}): the {optim.lr_schedule} schedule decays from lr to end_lr.")
    if config.env.compile_dynamic not in (None, True, False):
        raise ConfigError(f"Hyperparameter 'env.compile_dynamic' must be true, false or None, got "
                          f"{config.env.compile_dynamic!r}.")


def get_value(config: Config, key: str) -> Any:
    """The value of dotted ``key`` in ``config``."""
    value: Any = config
    for name in key.split("."):
        value = getattr(value, name)
    return value


def _replace_path(obj: Any, path: list[str], value: Any, key: str) -> Any:
    name = path[0]
    if len(path) > 1:
        return dataclasses.replace(obj, **{name: _replace_path(getattr(obj, name), path[1:], value, key)})
    hints = typing.get_type_hints(type(obj))
    return dataclasses.replace(obj, **{name: _coerce(value, hints[name], key)})


def _coerce(value: Any, annotation: Any, key: str) -> Any:
    """Accept the value if it fits the field's type; parse strings (from the command line)."""
    target = annotation if isinstance(annotation, type) else None
    if isinstance(annotation, types.UnionType):
        target = None
    try:
        if target is bool:
            if isinstance(value, str):
                lowered = value.strip().lower()
                if lowered in ("true", "1", "yes"):
                    return True
                if lowered in ("false", "0", "no"):
                    return False
                raise ValueError(value)
            if isinstance(value, (bool, int)) and value in (0, 1):
                return bool(value)
            raise ValueError(value)
        if target is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError(value)
            return int(value)
        if target is float:
            if isinstance(value, bool) or not math.isfinite(float(value)):
                raise ValueError(value)
            return float(value)
        if target is str:
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                raise ValueError(value)
            return str(value)
    except (TypeError, ValueError):
        raise ConfigError(
            f"Hyperparameter {key!r} must be of type {getattr(target, '__name__', annotation)}, got {value!r}."
        ) from None
    return value


def config_to_json(config: Config) -> str:
    return json.dumps(config.to_dict(), indent=2, sort_keys=True)
