"""AutoGluon-MM's hyperparameter keys, each mapped onto automm's Config or refused with the reason.

``KEYS`` is the one table: ``translate_all`` applies it to a user's overrides before the task's own ``aliases``
(``Config.override`` does), and ``docs/migration/hyperparameters.md`` is generated from it
(``automm.core.autogluon_docs``). AutoGluon's old spellings (``optimization.*``, ``optim.learning_rate``...) are
read as the names they became. Keys a task section maps itself (its ``aliases``/``value_aliases``) pass through.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import autogluon_values as v
from .errors import ConfigError

# AutoGluon's backward-compatible spellings (AutoGluon's utils/config.py): old name -> current AutoGluon name.
OLD_SECTIONS = {"optimization.": "optim.", "environment.": "env."}
RENAMED = {"optim.learning_rate": "optim.lr", "optim.efficient_finetune": "optim.peft",
           "optim.loss_function": "optim.loss_func", "env.eval_batch_size_ratio": "env.inference_batch_size_ratio",
           "data.label.numerical_label_preprocessing": "data.label.numerical_preprocessing"}


@dataclass(frozen=True)
class Mapped:
    """An AutoGluon key automm has: ``target`` names the automm key(s); ``translate`` converts the value."""

    target: str
    translate: v.Translator | None = None  # None: the value unchanged under ``target``
    note: str = ""
    soft: bool = False  # its settings yield to the same automm key set by another key of the same call

    def apply(self, value: Any) -> dict[str, Any]:
        return self.translate(value) if self.translate is not None else {self.target: value}


@dataclass(frozen=True)
class Refused:
    """An AutoGluon key with no meaning in automm: ``reason`` says why and what to write instead."""

    reason: str


M, R = Mapped, Refused
_FT = {"model.tabular.model": "ft_transformer"}
_PEFT = {"none": "none", "null": "none", None: "none", "lora": "lora", "ia3": "ia3", "bit_fit": "bitfit",
         "bitfit": "bitfit"}
_PEFT_REFUSED = {
    "lora_bias": "automm's LoRA adds no bias training; the closest is optim.peft='lora' (or 'bitfit' for biases).",
    "lora_norm": "automm's LoRA adds no norm training; the closest is optim.peft='lora'.",
    "norm_fit": "automm has no norm-fit; the closest is optim.peft='bitfit' (biases only).",
    "ia3_bias": "automm's IA3 adds no bias training; the closest is optim.peft='ia3'.",
    "ia3_norm": "automm's IA3 adds no norm training; the closest is optim.peft='ia3'.",
    "ia3_lora": "automm applies one method at a time; the closest is optim.peft='ia3' (or 'lora').",
    "ia3_lora_bias": "automm applies one method at a time; the closest is optim.peft='ia3' (or 'lora').",
    "ia3_lora_norm": "automm applies one method at a time; the closest is optim.peft='ia3' (or 'lora').",
    "conv_lora": "Conv-LoRA adapts Segment Anything; only a task that maps it (its value_aliases) reads it.",
}
_LOSSES = {"auto": "auto", "cross_entropy": "cross_entropy", "crossentropyloss": "cross_entropy",
           "focal_loss": "focal", "focal": "focal", "mse": "mse", "mseloss": "mse", "nn.mseloss": "mse",
           "l1loss": "mae", "nn.l1loss": "mae", "mae": "mae", "huberloss": "huber", "nn.huberloss": "huber",
           "smoothl1loss": "huber", "nn.smoothl1loss": "huber", "huber": "huber"}
_PRECISION = {16: "16-mixed", "16": "16-mixed", "16-mixed": "16-mixed", "bf16": "bf16-mixed",
              "bf16-mixed": "bf16-mixed", 32: "32", "32": "32", "32-true": "32-true", "16-true": "16-true",
              "bf16-true": "bf16-true", "auto": "auto"}
_NO_PER_COLUMN = "automm pools each modality into one feature vector before fusion"

OPTIM: dict[str, Mapped | Refused] = {
    "optim.lr": M("optim.lr"),
    "optim.optim_type": M("optim.optimizer", v.choice("optim.optim_type", "optim.optimizer", {
        "adamw": "adamw", "adam": "adam", "sgd": "sgd"}, {"adafactor": "automm has adamw, adam and sgd."})),
    "optim.weight_decay": M("optim.weight_decay"),
    "optim.lr_choice": M("optim.layerwise_lr_decay, optim.head_lr_multiplier", v.lr_choice, soft=True,
                         note="automm decays by depth and multiplies the head's rate together: layerwise_decay "
                              "sets the head multiplier to 1, two_stages the decay to 1, single_stage both."),
    "optim.lr_decay": M("optim.layerwise_lr_decay"),
    "optim.lr_mult": M("optim.head_lr_multiplier", note="applied in every lr_choice (AutoGluon: two_stages only)"),
    "optim.lr_schedule": M("optim.lr_schedule", v.choice("optim.lr_schedule", "optim.lr_schedule", {
        "cosine_decay": "cosine", "cosine": "cosine", "linear_decay": "linear", "linear": "linear",
        "polynomial_decay": "polynomial", "polynomial": "polynomial", "constant": "constant"},
        {"multi_step": "automm has cosine, linear, polynomial and constant schedules (after the warmup)."})),
    "optim.max_epochs": M("optim.max_epochs", v.max_epochs),
    "optim.max_steps": M("optim.max_steps", v.max_steps, note="-1 (no cap) is 0"),
    "optim.warmup_steps": M("optim.warmup_ratio or optim.warmup_steps", v.warmup,
                            note="a float is a fraction (warmup_ratio), an integer a number of steps (0: use "
                                 "warmup_ratio; write 0.0 for no warmup)"),
    "optim.end_lr": M("optim.end_lr"),
    "optim.patience": M("optim.patience"),
    "optim.val_check_interval": M("optim.val_checks_per_epoch", v.val_check_interval,
                                  note="a fraction of an epoch: 0.5 is 2 checks per epoch; every-N-steps refused"),
    "optim.check_val_every_n_epoch": M("optim.val_every_n_epochs"),
    "optim.skip_final_val": R("automm validates after the last step always: the kept top-k checkpoints and their "
                              "average are chosen on validation scores."),
    "optim.gradient_clip_val": M("optim.gradient_clip"),
    "optim.gradient_clip_algorithm": M("optim.gradient_clip_algorithm", v.choice(
        "optim.gradient_clip_algorithm", "optim.gradient_clip_algorithm", {"norm": "norm", "value": "value"})),
    "optim.track_grad_norm": R("Lightning 2 removed it and automm logs no gradient norms; add a Lightning callback "
                               "in your own training code if you need them."),
    "optim.log_every_n_steps": M("env.log_every_n_steps"),
    "optim.label_smoothing": M("task.label_smoothing", note="classification and multilabel tasks"),
    "optim.top_k": M("optim.top_k"),
    "optim.top_k_average_method": M("optim.soup", v.choice("optim.top_k_average_method", "optim.soup", {
        "greedy_soup": "greedy", "uniform_soup": "uniform", "best": "best"})),
    "optim.peft": M("optim.peft", v.choice("optim.peft", "optim.peft", _PEFT, _PEFT_REFUSED),
                    note="combined methods are refused naming the closest"),
    "optim.lora.r": M("optim.lora_rank"),
    "optim.lora.alpha": M("optim.lora_alpha"),
    "optim.lora.module_filter": R("automm picks the LoRA/IA3 target modules for each backbone itself."),
    "optim.lora.filter": R("automm picks the LoRA/IA3 target modules for each backbone itself."),
    "optim.loss_func": M("task.loss", v.choice("optim.loss_func", "task.loss", _LOSSES, {
        "bcewithlogitsloss": "automm regresses standardised targets; use task.loss 'mse', 'mae' or 'huber'.",
        "nn.bcewithlogitsloss": "automm regresses standardised targets; use task.loss 'mse', 'mae' or 'huber'."}),
        note="torch.nn loss names map onto the task's losses (MSELoss -> mse, L1Loss -> mae, HuberLoss -> huber)"),
    "optim.focal_loss.alpha": M("task.focal_alpha"),
    "optim.focal_loss.gamma": M("task.focal_gamma"),
    "optim.focal_loss.reduction": M("(none: 'mean' is automm's)", v.accept_only(
        "optim.focal_loss.reduction", ("mean",), "automm averages the focal loss over the batch; 'sum' only "
        "rescales it, which optim.lr absorbs.")),
}

ENV: dict[str, Mapped | Refused] = {
    "env.num_gpus": M("env.accelerator, env.devices", v.num_gpus, note="-1: every visible GPU, 0: the CPU"),
    "env.num_nodes": M("env.num_nodes"),
    "env.batch_size": M("optim.effective_batch_size", note="reached by gradient accumulation, as AutoGluon"),
    "env.per_gpu_batch_size": M("optim.batch_size", note="rows per process per step"),
    "env.inference_batch_size_ratio": R("automm's prediction batch is a number of rows: write env.eval_batch_size "
                                        "(AutoGluon's per_gpu_batch_size times this ratio)."),
    "env.precision": M("optim.precision", v.choice("env.precision", "optim.precision", _PRECISION,
                                                   {64: "automm trains in 32-bit at most.",
                                                    "64": "automm trains in 32-bit at most."})),
    "env.num_workers": M("env.num_workers", note="training and prediction loaders alike"),
    "env.num_workers_inference": R("automm's env.num_workers serves the training and the prediction loaders "
                                   "alike; set env.num_workers."),
    "env.strategy": M("env.strategy", note="Lightning strategy names; 'auto' forks DDP processes"),
    "env.accelerator": M("env.accelerator"),
    "env.compile.turn_on": M("env.compile"),
    "env.compile.mode": M("env.compile_mode"),
    "env.compile.dynamic": M("env.compile_dynamic"),
    "env.compile.backend": M("env.compile_backend"),
    "env.auto_select_gpus": R("Lightning 2 removed it; choose GPUs with CUDA_VISIBLE_DEVICES."),
    "env.fast_dev_run": R("automm has no dry-run mode; use optim.max_steps=1 for a smoke test."),
    "env.deterministic": R("automm seeds every run from fit(seed=...); torch's deterministic algorithms are not "
                           "switched on."),
}

MODEL: dict[str, Mapped | Refused] = {
    "model.sam.img_transforms": R("automm letterboxes every image to task.image_size squares (AutoGluon-MM's "
                                  "resize_to_square stretches it): there is no transform to choose."),
    "model.sam.gt_transforms": R("masks follow their image's letterbox (nearest-neighbour): there is no transform "
                                 "to choose."),
    "model.sam.frozen_layers": R("automm never trains SAM's prompt encoder and IoU head (AutoGluon-MM's default); "
                                 "the image encoder trains through LoRA (optim.peft / task.conv_lora)."),
    "model.sam.num_mask_tokens": R("automm uses one mask token per class: the task sets it from the masks' "
                                   "classes (num_classes=)."),
    "model.sam.ignore_label": R("automm has no ignore label: 0/255 masks are binary and class-index masks count "
                                "every value; map the pixels to ignore onto the background first."),
    "model.names": M("model.modalities", v.model_names,
                     note="hf_text/clip/ner_text -> text, timm_image -> image, ft_transformer/numerical_mlp/"
                          "categorical_mlp -> tabular (+ model.tabular.model), fusion_* -> model.fusion.model"),
    "model.hf_text.checkpoint_name": M("model.text.checkpoint"),
    "model.hf_text.pooling_mode": M("model.text.pooling", v.choice("model.hf_text.pooling_mode", "model.text.pooling",
                                                                   {"cls": "cls", "mean": "mean"})),
    "model.hf_text.tokenizer_name": R("automm loads the tokenizer saved with model.text.checkpoint."),
    "model.hf_text.max_text_len": M("model.text.max_length", v.max_text_len("model.text.max_length"),
                                    note="-1 (the tokenizer's maximum) is 512"),
    "model.hf_text.insert_sep": M("(none: automm always inserts it)", v.accept_only(
        "model.hf_text.insert_sep", (True,), "automm always separates a row's text columns with the tokenizer's "
        "separator token.")),
    "model.hf_text.text_segment_num": R("automm encodes a row's text columns as one sequence."),
    "model.hf_text.stochastic_chunk": R("automm truncates long text at model.text.max_length; it takes no random "
                                        "chunks."),
    "model.hf_text.text_aug_detect_length": R("automm augments every training row's text when "
                                              "model.text.augment_delete or augment_swap is above 0."),
    "model.hf_text.text_trivial_aug_maxscale": M("model.text.augment_delete, model.text.augment_swap",
                                                 v.text_augment, note="word deletion and swaps at that strength"),
    "model.hf_text.gradient_checkpointing": R("automm has no gradient checkpointing; to save memory lower "
                                              "optim.batch_size and set optim.effective_batch_size."),
    "model.ner_text.checkpoint_name": M("model.text.checkpoint"),
    "model.ner_text.max_text_len": M("model.text.max_length", v.max_text_len("model.text.max_length")),
    "model.clip.checkpoint_name": M("model.text.checkpoint", note="a CLIP checkpoint id (matching reads both towers "
                                                                  "from it)"),
    "model.clip.max_text_len": M("model.text.max_length", v.max_text_len("model.text.max_length")),
    "model.timm_image.checkpoint_name": M("model.image.checkpoint"),
    "model.timm_image.image_size": M("model.image.image_size"),
    "model.timm_image.train_transforms": M("model.image.augment, model.image.augment_policy", v.train_transforms),
    "model.timm_image.val_transforms": M("(none: automm resizes and centre-crops)", v.accept_only(
        "model.timm_image.val_transforms", (["resize_shorter_side", "center_crop"], ["resize_to_square"]),
        "automm resizes and centre-crops at prediction time, always.")),
    "model.timm_image.max_image_num_per_column": M("model.image.max_images_per_row",
                                                   note="automm counts per row, over all image columns"),
    "model.ft_transformer.checkpoint_name": R("automm has no pretrained FT-Transformer weights; it trains the "
                                              "encoder from scratch."),
    "model.ft_transformer.num_blocks": M("model.tabular.num_layers", v.with_extra(v.to("model.tabular.num_layers"),
                                                                                   _FT)),
    "model.ft_transformer.token_dim": M("model.tabular.hidden_size", v.with_extra(v.to("model.tabular.hidden_size"),
                                                                                  _FT)),
    "model.ft_transformer.hidden_size": M("model.tabular.hidden_size",
                                          v.with_extra(v.to("model.tabular.hidden_size"), _FT)),
    "model.ft_transformer.ffn_hidden_size": R("automm's FT-Transformer sizes its feed-forward layers from "
                                              "model.tabular.hidden_size."),
}

DATA: dict[str, Mapped | Refused] = {
    "data.image.missing_value_strategy": M("model.fusion.missing_modality", v.choice(
        "data.image.missing_value_strategy", "model.fusion.missing_modality", {"zero": "impute", "skip": "learnable"}),
        note="impute encodes a zero image, learnable substitutes a learned embedding"),
    "data.text.normalize_text": R("automm feeds text to the tokenizer unchanged; normalise it before fit."),
    "data.categorical.convert_to_text": M("(none: False is automm's)", v.accept_only(
        "data.categorical.convert_to_text", (False,), "automm encodes categories with its tabular encoder; to read "
        "a column as text, pass column_types={column: 'text'}.")),
    "data.numerical.convert_to_text": M("(none: False is automm's)", v.accept_only(
        "data.numerical.convert_to_text", (False,), "automm encodes numbers with its tabular encoder; to read a "
        "column as text, cast it to str and pass column_types={column: 'text'}.")),
    "data.numerical.scaler_with_mean": M("model.tabular.numerical_transform",
                                         v.numerical_scaler("data.numerical.scaler_with_mean"), note="True: standard"),
    "data.numerical.scaler_with_std": M("model.tabular.numerical_transform",
                                        v.numerical_scaler("data.numerical.scaler_with_std"), note="True: standard"),
    "data.label.numerical_preprocessing": M("(none: automm standardises)", v.accept_only(
        "data.label.numerical_preprocessing", ("standardscaler",), "automm standardises regression targets always.")),
    "data.pos_label": R("automm scores binary metrics on the second of the sorted class labels; relabel your classes "
                        "so the positive one sorts last."),
    "data.column_features_pooling_mode": M("(none: concat is automm's)", v.accept_only(
        "data.column_features_pooling_mode", ("concat",), _NO_PER_COLUMN + ".")),
    "data.mixup.turn_on": M("optim.mixup_alpha", v.mixup_on, soft=True,
                            note="True: optim.mixup_alpha=0.8 unless data.mixup.mixup_alpha is given; automm mixes the "
                                 "fused embeddings"),
    "data.mixup.mixup_alpha": M("optim.mixup_alpha"),
    "data.mixup.cutmix_alpha": R("automm mixes fused embeddings (optim.mixup_alpha), not image patches: no CutMix."),
    "data.mixup.prob": R("automm mixes every training batch when optim.mixup_alpha > 0."),
    "data.mixup.switch_prob": R("automm has no CutMix to switch to."),
    "data.mixup.mode": R("automm mixes whole rows' fused embeddings (AutoGluon's 'batch')."),
    "data.mixup.label_smoothing": R("write task.label_smoothing (classification)."),
    "data.mixup.turn_off_epoch": R("automm mixes in every epoch when optim.mixup_alpha > 0."),
    "data.templates.turn_on": R("automm has no T-Few prompt templates; use problem_type='few_shot_classification'."),
}

DISTILLER: dict[str, Mapped | Refused] = {
    "distiller.soft_label_loss_type": R("automm's soft-label loss follows the task: KL divergence at "
                                        "distiller.temperature for classification, MSE for regression."),
    "distiller.temperature": M("distiller.temperature"),
    "distiller.hard_label_weight": M("distiller.hard_label_weight"),
    "distiller.soft_label_weight": M("distiller.soft_label_weight"),
    "distiller.output_feature_loss_weight": M("distiller.output_feature_loss_weight"),
    "distiller.output_feature_loss_type": R("automm's feature loss is the MSE of the projected fused embeddings."),
    "distiller.softmax_regression_weight": R("automm has no softmax-regression distillation loss."),
    "distiller.rkd_distance_loss_weight": R("automm has no relational (RKD) distillation losses."),
    "distiller.rkd_angle_loss_weight": R("automm has no relational (RKD) distillation losses."),
}

KEYS: dict[str, Mapped | Refused] = {**OPTIM, **ENV, **MODEL, **DATA, **DISTILLER}

# Backbone families: AutoGluon keys under these prefixes that are not in KEYS.
PREFIXES: dict[str, Refused] = {
    "model.document_transformer.": R("automm has no document (LayoutLM) modality; pass the document's text as a "
                                     "text column."),
    "model.t_few.": R("automm has no T-Few model; use problem_type='few_shot_classification'."),
    "model.sam.": R("Segment Anything settings are read only by a task that maps them (its task section's aliases); "
                    "this problem type's task does not."),
    "model.mmdet_image.": R("MMDetection settings are read only by a task that maps them (its task section's "
                            "aliases); this problem type's task does not."),
}


def canonical(key: str) -> str:
    """AutoGluon's current name of ``key`` (``optimization.learning_rate`` -> ``optim.lr``)."""
    for old, new in OLD_SECTIONS.items():
        if key.startswith(old):
            key = new + key[len(old):]
    return RENAMED.get(key, key)


def entry(key: str) -> Mapped | Refused | None:
    """The table's entry for an AutoGluon key (any spelling), or None when it is not one."""
    name = canonical(key)
    if name in KEYS:
        return KEYS[name]
    return next((r for prefix, r in PREFIXES.items() if name.startswith(prefix)), None)


def translate(key: str, value: Any) -> dict[str, Any] | None:
    """``{automm key: value}`` for an AutoGluon key, None when ``key`` is not one; refused keys raise ConfigError."""
    found = entry(key)
    if found is None:
        return None
    if isinstance(found, Refused):
        raise ConfigError(f"AutoGluon-MM's hyperparameter {key!r} has no meaning in automm: {found.reason}")
    return found.apply(value)


def translate_all(overrides: Mapping[str, Any],
                  own: Callable[[str, Any], bool]) -> tuple[dict[str, Any], dict[str, str]]:
    """Flat ``overrides`` with every AutoGluon key translated, and each new automm key's AutoGluon origin.

    ``own(key, value)`` is true for keys the task section maps itself; they pass unchanged, as do automm keys.
    A translation marked ``soft`` yields to the same automm key set by any other key of ``overrides``.
    """
    hard: dict[str, Any] = {}
    soft: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for key, value in overrides.items():
        translated = None if own(key, value) else translate(key, value)
        if translated is None:
            hard[key] = value
            continue
        found = entry(key)
        (soft if isinstance(found, Mapped) and found.soft else hard).update(translated)
        origin.update({name: key for name in translated if name != key})
    return {**{k: val for k, val in soft.items() if k not in hard}, **hard}, origin
