"""AutoGluon-MM's hyperparameter keys: every key of the review's Table D is mapped or refused with a reason."""

from __future__ import annotations

from typing import Any

import pytest

from automm.core.autogluon_keys import KEYS, Mapped, entry, translate, translate_all
from automm.core.autogluon_values import model_names, parse_dotlist
from automm.core.config import Config, check_applicable, valid_keys
from automm.core.errors import ConfigError

# Fields the "training" branch of issue 19 adds to Config (optim, env, model, distiller) and task sections' keys.
NEW_FIELDS = {"optim.optimizer", "optim.lr_schedule", "optim.end_lr", "optim.max_steps", "optim.warmup_steps",
              "optim.effective_batch_size", "optim.gradient_clip_algorithm", "optim.soup", "optim.lora_alpha",
              "env.log_every_n_steps", "env.compile", "env.compile_mode", "env.compile_dynamic",
              "env.compile_backend", "model.modalities", "distiller.hard_label_weight"}
TASK_FIELDS = {"task.loss", "task.label_smoothing", "task.focal_gamma", "task.focal_alpha"}

# The review's Table D (docs: /work/shared/reviews/autogluon-compat.md), each key with an AutoGluon value.
TABLE_D: list[tuple[str, Any]] = [
    ("optim.lr", 1e-4), ("optim.optim_type", "adamw"), ("optim.weight_decay", 1e-3), ("optim.lr_decay", 0.9),
    ("optim.lr_mult", 1), ("optim.lr_choice", "layerwise_decay"), ("optim.lr_schedule", "cosine_decay"),
    ("optim.max_epochs", 20), ("optim.max_steps", -1), ("optim.warmup_steps", 0.1), ("optim.end_lr", 0),
    ("optim.patience", 10), ("optim.val_check_interval", 0.5), ("optim.check_val_every_n_epoch", 1),
    ("optim.skip_final_val", False), ("optim.gradient_clip_val", 1), ("optim.gradient_clip_algorithm", "norm"),
    ("optim.track_grad_norm", -1), ("optim.log_every_n_steps", 10), ("optim.top_k", 3),
    ("optim.top_k_average_method", "greedy_soup"), ("optim.peft", "lora"), ("optim.lora.r", 8),
    ("optim.lora.alpha", 8), ("optim.loss_func", "auto"), ("optim.focal_loss.alpha", [0.3, 0.7]),
    ("optim.focal_loss.gamma", 2.0), ("optim.focal_loss.reduction", "sum"), ("optim.label_smoothing", 0.1),
    ("optim.learning_rate", 1e-4), ("optim.efficient_finetune", "bit_fit"), ("optimization.learning_rate", 1e-4),
    ("optimization.max_epochs", 5), ("optimization.efficient_finetune", "ia3"),
    ("optimization.loss_function", "auto"), ("env.num_gpus", -1), ("env.num_nodes", 1), ("env.per_gpu_batch_size", 8),
    ("env.batch_size", 128), ("env.inference_batch_size_ratio", 4), ("env.precision", "16-mixed"),
    ("env.num_workers", 2), ("env.num_workers_inference", 2), ("env.strategy", "ddp"), ("env.accelerator", "auto"),
    ("env.compile.turn_on", True), ("env.compile.mode", "default"), ("env.compile.dynamic", True),
    ("env.compile.backend", "inductor"), ("model.names", ["hf_text", "timm_image", "fusion_mlp"]),
    ("model.hf_text.checkpoint_name", "google/electra-base-discriminator"), ("model.hf_text.pooling_mode", "cls"),
    ("model.hf_text.tokenizer_name", "hf_auto"), ("model.hf_text.max_text_len", 512),
    ("model.hf_text.insert_sep", False), ("model.hf_text.text_segment_num", 2),
    ("model.hf_text.stochastic_chunk", True), ("model.hf_text.text_aug_detect_length", 10),
    ("model.hf_text.text_trivial_aug_maxscale", 0.1), ("model.hf_text.gradient_checkpointing", True),
    ("model.ner_text.checkpoint_name", "microsoft/deberta-v3-base"),
    ("model.clip.checkpoint_name", "openai/clip-vit-base-patch32"),
    ("model.document_transformer.checkpoint_name", "microsoft/layoutlmv3-base"),
    ("model.ft_transformer.checkpoint_name", "https://example/ft.ckpt"), ("model.ft_transformer.num_blocks", 3),
    ("model.ft_transformer.token_dim", 192), ("model.ft_transformer.hidden_size", 192),
    ("model.ft_transformer.ffn_hidden_size", 192), ("model.timm_image.checkpoint_name", "resnet18"),
    ("model.timm_image.train_transforms", ["resize_shorter_side", "center_crop", "trivial_augment"]),
    ("model.timm_image.val_transforms", ["resize_shorter_side", "center_crop", "color_jitter"]),
    ("model.timm_image.max_image_num_per_column", 2), ("model.mmdet_image.checkpoint_name", "yolox_s"),
    ("model.mmdet_image.output_bbox_format", "xyxy"), ("model.mmdet_image.frozen_layers", []),
    ("model.mmdet_image.coco_root", "/data/coco"), ("model.sam.checkpoint_name", "facebook/sam-vit-base"),
    ("model.sam.train_transforms", ["random_horizontal_flip"]), ("model.sam.img_transforms", ["resize_to_square"]),
    ("model.sam.gt_transforms", ["resize_gt_to_square"]), ("model.sam.frozen_layers", ["mask_decoder"]),
    ("model.sam.num_mask_tokens", 1), ("model.sam.ignore_label", 255),
    ("data.image.missing_value_strategy", "zero"), ("data.text.normalize_text", True),
    ("data.categorical.convert_to_text", True), ("data.numerical.convert_to_text", True),
    ("data.numerical.scaler_with_mean", True), ("data.numerical.scaler_with_std", True),
    ("data.label.numerical_preprocessing", "minmaxscaler"), ("data.pos_label", "yes"),
    ("data.column_features_pooling_mode", "mean"), ("data.mixup.turn_on", True), ("data.mixup.mixup_alpha", 0.8),
    ("data.mixup.cutmix_alpha", 1.0), ("data.mixup.prob", 1.0), ("data.mixup.switch_prob", 0.5),
    ("data.mixup.mode", "batch"), ("data.mixup.label_smoothing", 0.1), ("data.mixup.turn_off_epoch", 5),
    ("distiller.soft_label_loss_type", "cross_entropy"), ("distiller.temperature", 5),
    ("distiller.hard_label_weight", 0.1), ("distiller.soft_label_weight", 1),
    ("distiller.output_feature_loss_weight", 0.01),
]


def test_table_d_lists_the_105_keys() -> None:
    assert len(TABLE_D) == 105 and len({key for key, _ in TABLE_D}) == 105


@pytest.mark.parametrize(("key", "value"), TABLE_D, ids=[key for key, _ in TABLE_D])
def test_every_table_d_key_is_mapped_or_refused_with_a_reason(key: str, value: Any) -> None:
    assert entry(key) is not None, f"{key} is not in the AutoGluon key table"
    try:
        translated = translate(key, value)
    except ConfigError as err:
        assert "Unknown hyperparameter" not in str(err) and "AutoGluon-MM's" in str(err)
        assert len(str(err)) > 60  # a reason, not a bare refusal
        with pytest.raises(ConfigError, match="AutoGluon-MM's") as applied:
            Config().override({key: value})
        assert "Unknown hyperparameter" not in str(applied.value)
        return
    assert translated is not None
    targets = set(translated)
    assert targets <= set(valid_keys()) | NEW_FIELDS | TASK_FIELDS, targets
    if targets <= set(valid_keys()):  # fields that exist in this tree: the whole override applies
        Config().override({key: value})


def test_translations() -> None:
    assert translate("optim.lr_decay", 0.8) == {"optim.layerwise_lr_decay": 0.8}
    assert translate("optim.warmup_steps", 0.06) == {"optim.warmup_ratio": 0.06}
    assert translate("optim.warmup_steps", 200) == {"optim.warmup_steps": 200}
    assert translate("optim.warmup_steps", 0.0) == {"optim.warmup_ratio": 0.0}
    assert translate("optim.warmup_steps", 0) == {"optim.warmup_steps": 0}  # automm's own key: 0 is "use the ratio"
    assert translate("env.num_gpus", 0) == {"env.accelerator": "cpu", "env.devices": 1}
    assert translate("env.num_gpus", 2) == {"env.accelerator": "gpu", "env.devices": 2}
    assert translate("env.batch_size", 64) == {"optim.effective_batch_size": 64}
    assert translate("env.per_gpu_batch_size", 4) == {"optim.batch_size": 4}
    assert [translate("env.precision", p) for p in (16, "16", "bf16", 32, "32")] == [
        {"optim.precision": p} for p in ("16-mixed", "16-mixed", "bf16-mixed", "32", "32")]
    assert translate("optim.val_check_interval", 0.25) == {"optim.val_checks_per_epoch": 4}
    assert translate("optim.optim_type", "sgd") == {"optim.optimizer": "sgd"}
    assert translate("optim.lr_schedule", "linear_decay") == {"optim.lr_schedule": "linear"}
    assert translate("optim.top_k_average_method", "uniform_soup") == {"optim.soup": "uniform"}
    assert translate("optim.max_steps", -1) == {"optim.max_steps": 0}
    assert translate("optim.lora.alpha", 16) == {"optim.lora_alpha": 16}
    assert translate("model.hf_text.max_text_len", -1) == {"model.text.max_length": 512}
    assert translate("model.ner_text.checkpoint_name", "bert") == {"model.text.checkpoint": "bert"}
    assert translate("model.ft_transformer.num_blocks", 4) == {"model.tabular.num_layers": 4,
                                                               "model.tabular.model": "ft_transformer"}
    assert translate("optimization.loss_function", "nn.L1Loss") == {"task.loss": "mae"}
    assert translate("optim.focal_loss.alpha", [1, 2]) == {"task.focal_alpha": [1, 2]}
    assert translate("distiller.hard_label_weight", 0.5) == {"distiller.hard_label_weight": 0.5}
    assert translate("env.compile.turn_on", True) == {"env.compile": True}
    assert translate("optim.lr", 1e-3) == {"optim.lr": 1e-3} and translate("task.loss", "x") is None


@pytest.mark.parametrize(("value", "closest"), [("lora_bias", "'lora'"), ("ia3_bias", "'ia3'"),
                                                 ("norm_fit", "'bitfit'"), ("ia3_lora", "'ia3'")])
def test_peft_methods_automm_lacks_name_the_closest(value: str, closest: str) -> None:
    with pytest.raises(ConfigError, match=f"closest is optim.peft={closest}"):
        Config().override({"optim.peft": value})
    assert Config().override({"optim.peft": "bit_fit"}).optim.peft == "bitfit"
    assert Config().override({"optimization.efficient_finetune": "ia3"}).optim.peft == "ia3"


def test_model_names_select_modalities_tabular_encoder_and_fusion() -> None:
    assert model_names(["hf_text", "timm_image", "fusion_mlp"]) == {"model.modalities": ("text", "image"),
                                                                    "model.fusion.model": "mlp"}
    assert model_names(["numerical_mlp", "ft_transformer", "fusion_transformer"]) == {
        "model.modalities": ("tabular",), "model.tabular.model": "ft_transformer",
        "model.fusion.model": "transformer"}
    assert model_names(["clip"]) == {"model.modalities": ("text", "image")}
    with pytest.raises(ConfigError, match="no document"):
        model_names(["hf_text", "document_transformer"])
    with pytest.raises(ConfigError, match="names no model automm knows"):
        model_names(["hf_txt"])


def test_autogluon_keys_apply_to_config() -> None:
    config = Config().override({"optimization.learning_rate": 3e-4, "optim.lr_decay": 0.8, "env.precision": "bf16",
                                "model.hf_text.checkpoint_name": "bert-base-german-cased",
                                "model.timm_image.checkpoint_name": "resnet18", "env.per_gpu_batch_size": 4,
                                "optim.val_check_interval": 0.5, "model.ft_transformer.num_blocks": 4,
                                "model.hf_text.pooling_mode": "cls", "data.image.missing_value_strategy": "zero"})
    assert (config.optim.lr, config.optim.layerwise_lr_decay, config.optim.precision) == (3e-4, 0.8, "bf16-mixed")
    assert config.model.text.checkpoint == "bert-base-german-cased" and config.model.text.pooling == "cls"
    assert config.model.image.checkpoint == "resnet18" and config.optim.batch_size == 4
    assert config.optim.val_checks_per_epoch == 2 and config.model.fusion.missing_modality == "impute"
    assert (config.model.tabular.model, config.model.tabular.num_layers) == ("ft_transformer", 4)


def test_nested_dicts_and_dotlists() -> None:
    nested = Config().override({"model": {"hf_text": {"checkpoint_name": "x", "max_text_len": 64}},
                                "optimization": {"learning_rate": 0.01}})
    assert (nested.model.text.checkpoint, nested.model.text.max_length, nested.optim.lr) == ("x", 64, 0.01)
    text = "optim.lr=1e-4 optim.max_epochs=5 model.hf_text.checkpoint_name=bert-base-cased env.precision=bf16"
    config = Config().override(text)
    assert (config.optim.lr, config.optim.max_epochs, config.optim.precision) == (1e-4, 5, "bf16-mixed")
    assert Config().override(["optim.lr=0.5", "optim.top_k=1"]).optim.top_k == 1
    assert parse_dotlist("model.names=[hf_text, timm_image] a=true b=null c='x y' d=some words") == {
        "model.names": ["hf_text", "timm_image"], "a": True, "b": None, "c": "x y", "d": "some words"}
    with pytest.raises(ConfigError, match="not a 'key=value' pair"):
        parse_dotlist("optim.lr")


def test_soft_translations_yield_to_explicit_keys() -> None:
    overrides, origin = translate_all({"data.mixup.mixup_alpha": 0.2, "data.mixup.turn_on": True}, lambda k, v: False)
    assert overrides == {"optim.mixup_alpha": 0.2} and origin == {"optim.mixup_alpha": "data.mixup.turn_on"}
    config = Config().override({"optim.lr_mult": 5, "optim.lr_choice": "layerwise_decay"})
    assert config.optim.head_lr_multiplier == 5
    assert Config().override({"data.mixup.turn_on": True}).optim.mixup_alpha == 0.8


def test_refusals_name_the_automm_key_or_why() -> None:
    with pytest.raises(ConfigError, match="write env.eval_batch_size"):
        Config().override({"env.inference_batch_size_ratio": 4})
    with pytest.raises(ConfigError, match="optim.val_checks_per_epoch"):
        Config().override({"optim.val_check_interval": 50})
    with pytest.raises(ConfigError, match="task section's aliases"):
        Config().override({"model.sam.checkpoint_name": "facebook/sam-vit-base"})
    with pytest.raises(ConfigError, match="AutoGluon-MM's hyperparameter 'optim.label_smoothing' is automm's "
                                          "'task.label_smoothing'"):
        Config().override({"optim.label_smoothing": 0.1})  # core's NoTaskConfig has no label smoothing


def test_check_applicable_reads_autogluon_keys() -> None:
    with pytest.raises(ConfigError, match="'model.text.checkpoint' does not apply"):
        check_applicable({"model.hf_text.checkpoint_name": "x"}, ("optim", "env"), {}, "object_detection")
    check_applicable({"model.sam.checkpoint_name": "x"}, ("optim", "env"), {}, "semantic_segmentation")


def test_every_table_entry_documents_itself() -> None:
    for key, found in KEYS.items():
        assert (found.target if isinstance(found, Mapped) else found.reason), key


def test_search_spaces_over_autogluon_keys_are_checked_by_their_values() -> None:
    from automm.core.hpo.spaces import check_spaces, split_spaces

    fixed, spaces = split_spaces({"optim.lr_decay": {"uniform": [0.8, 0.95]},
                                  "model.hf_text.checkpoint_name": {"choice": ["a", "b"]}})
    check_spaces(Config(), fixed, spaces)
    fixed, spaces = split_spaces({"optim.peft": {"choice": ["bit_fit", "ia3_bias"]}})
    with pytest.raises(ConfigError, match="search space of 'optim.peft'.*closest is optim.peft='ia3'"):
        check_spaces(Config(), fixed, spaces)


def test_automm_keys_that_are_autogluon_keys_too_keep_automm_values() -> None:
    from automm.core.config import get_value

    config = Config()
    shared = [key for key in valid_keys() if key in KEYS]
    assert {"optim.lr", "optim.peft", "optim.max_epochs", "env.strategy"} <= set(shared)
    for key in shared:
        assert translate(key, get_value(config, key)) == {key: get_value(config, key)}, key
    for key, value in [("optim.lr_schedule", "constant"), ("optim.max_steps", 0), ("optim.warmup_steps", 0),
                       ("optim.gradient_clip_algorithm", "value"), ("optim.end_lr", 0.0)]:
        assert translate(key, value) == {key: value}, key
