"""RT-DETR, RT-DETRv2 and D-FINE from transformers as a detector backend (``architecture`` = hub id or folder).

Example:
    >>> options = prepare(DetectorOptions("PekingU/rtdetr_r50vd", num_classes=3, image_size=640))
    >>> model = build(options)  # the class head is re-initialised for 3 classes; the rest is pretrained
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import torch
import transformers
from torch import nn
from transformers.image_transforms import center_to_corners_format, corners_to_center_format
from transformers.models.auto.modeling_auto import MODEL_FOR_OBJECT_DETECTION_MAPPING_NAMES

from automm.core.errors import CheckpointNotFoundError, ConfigError
from automm.core.plugin import hub_model_folder, is_model_folder

from .base import BACKENDS, DetectorBackend, DetectorOptions

# Checkpoint model types handled here: sigmoid (focal) class logits and normalised cx, cy, w, h boxes per query.
SUPPORTED_MODEL_TYPES = tuple(
    t for t in ("rt_detr", "rt_detr_v2", "d_fine") if t in MODEL_FOR_OBJECT_DETECTION_MAPPING_NAMES
)


def resolve_checkpoint(name: str) -> Path:
    """Local folder of checkpoint ``name``: a local folder, the Hugging Face cache, then the hub unless offline.

    Raises:
        CheckpointNotFoundError: No place had it; the message lists each place and the fix.
    """
    tried: list[str] = []
    local = Path(name).expanduser()
    if local.is_dir():
        if is_model_folder(local):
            return local.resolve()
        tried.append(f"local folder {local}: no config.json with *.safetensors or pytorch_model*.bin weights")
    else:
        tried.append(f"local folder: {local} is not a directory")
    folder = hub_model_folder(name, tried)
    if folder is not None:
        return folder
    places = "\n".join(f"  - {line}" for line in tried)
    hub_id = "PekingU/rtdetr_r50vd" if local.is_absolute() or name.startswith((".", "~")) else name
    raise CheckpointNotFoundError(
        f"Could not find the detection checkpoint {name!r}. Looked in:\n{places}\nTo fix: on a machine with network "
        f"access download it (e.g. `hf download {hub_id} --local-dir detector`), copy the folder here and pass it: "
        'hyperparameters={"task.architecture": "/path/to/detector"}.'
    )


def prepare(options: DetectorOptions) -> DetectorOptions:
    """Resolve the checkpoint and store its config, class names and input normalisation in ``options.extra``.

    Raises:
        CheckpointNotFoundError: The checkpoint is nowhere to be found.
        ConfigError: Its ``model_type`` is not one of ``SUPPORTED_MODEL_TYPES``.
    """
    folder = resolve_checkpoint(options.architecture)
    config = _config(json.loads((folder / "config.json").read_text()), options, where=str(folder))
    names = [config.id2label[i] for i in range(config.num_labels)]
    mean, std = _normalisation(folder / "preprocessor_config.json")
    config = _with_classes(config, options.num_classes)
    extra = {
        **options.extra,
        "checkpoint_folder": str(folder),
        "config": config.to_dict(),
        "pretrained_classes": names,
        "image_mean": mean,
        "image_std": std,
    }
    return dataclasses.replace(options, extra=extra)


def build(options: DetectorOptions) -> TransformersDetector:
    """The detector: pretrained from the checkpoint folder, or random weights from ``options.extra["config"]``.

    Raises:
        CheckpointNotFoundError: ``options.pretrained`` but the checkpoint is nowhere to be found.
        ConfigError: The stored config is not of a supported model type.
    """
    if "config" not in options.extra:
        options = prepare(options)
    config = _with_classes(_config(options.extra["config"], options, where="options.extra"), options.num_classes)
    if not options.pretrained:
        model = transformers.AutoModelForObjectDetection.from_config(config, dtype=torch.float32)
        return TransformersDetector(model, options)
    folder = options.extra.get("checkpoint_folder")
    if not folder or not is_model_folder(Path(folder)):  # moved since prepare: look for it again
        folder = resolve_checkpoint(options.architecture)
    model = transformers.AutoModelForObjectDetection.from_pretrained(
        folder, config=config, ignore_mismatched_sizes=True, dtype=torch.float32
    )
    return TransformersDetector(model, options)


def pretrained_classes(options: DetectorOptions) -> list[str] | None:
    """The checkpoint's class names (its head is kept when fitting the same number of classes), or None."""
    names = options.extra.get("pretrained_classes")
    return list(names) if names else None


class TransformersDetector(nn.Module):
    """A transformers DETR-style detector with the backend contract of ``base.py``."""

    def __init__(self, model: nn.Module, options: DetectorOptions) -> None:
        super().__init__()
        self.model = model
        self.image_size = options.image_size
        self.min_score = options.min_score
        self.max_detections = options.max_detections
        self.feature_size: int = model.config.encoder_hidden_dim
        mean = torch.tensor(options.extra.get("image_mean", [0.0, 0.0, 0.0]), dtype=torch.float32)
        std = torch.tensor(options.extra.get("image_std", [1.0, 1.0, 1.0]), dtype=torch.float32)
        self.register_buffer("mean", mean.view(1, -1, 1, 1), persistent=False)
        self.register_buffer("std", std.view(1, -1, 1, 1), persistent=False)

    def forward(
        self, images: torch.Tensor, targets: list[dict[str, torch.Tensor]] | None = None
    ) -> dict[str, torch.Tensor] | list[dict[str, torch.Tensor]]:
        """Losses ``{"loss"}`` in training with targets, else one detection dict per image."""
        pixels = (images - self.mean) / self.std
        if self.training and targets is not None:
            labels = [self._hf_target(target) for target in targets]
            return {"loss": self.model(pixel_values=pixels, labels=labels).loss}
        outputs = self.model(pixel_values=pixels)
        return self._detections(outputs.logits, outputs.pred_boxes)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """``[B, feature_size]``: the encoder's coarsest feature map, averaged over positions."""
        outputs = self.model(pixel_values=(images - self.mean) / self.std)
        return outputs.encoder_last_hidden_state[-1].mean(dim=(2, 3))

    def _hf_target(self, target: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """A contract target (xyxy input pixels) as transformers expects it (normalised cx, cy, w, h)."""
        boxes = (target["boxes"].float() / self.image_size).clamp(0.0, 1.0)
        return {"class_labels": target["labels"].long(), "boxes": corners_to_center_format(boxes)}

    def _detections(self, logits: torch.Tensor, pred_boxes: torch.Tensor) -> list[dict[str, torch.Tensor]]:
        """The image processors' ``post_process_object_detection`` (focal scores, top k over queries x classes)."""
        num_classes = logits.shape[-1]
        scores, index = logits.sigmoid().flatten(1).topk(min(self.max_detections, logits[0].numel()), dim=1)
        boxes = center_to_corners_format(pred_boxes).clamp(0.0, 1.0) * self.image_size
        boxes = boxes.gather(1, (index // num_classes).unsqueeze(-1).expand(-1, -1, 4))
        labels = index % num_classes
        keep = scores >= self.min_score
        return [{"boxes": b[k], "scores": s[k], "labels": c[k]} for b, s, c, k in zip(boxes, scores, labels, keep)]


def _config(data: dict[str, Any], options: DetectorOptions, where: str) -> transformers.PretrainedConfig:
    """The transformers config in ``data``, refusing model types this backend does not handle."""
    model_type = data.get("model_type")
    if model_type not in SUPPORTED_MODEL_TYPES:
        raise ConfigError(
            f"Detection checkpoint {options.architecture!r} ({where}) has model_type {model_type!r}; the transformers "
            f"backend handles {', '.join(SUPPORTED_MODEL_TYPES)} (transformers {transformers.__version__}). To fix: "
            "pick such a checkpoint (e.g. PekingU/rtdetr_r50vd, ustc-community/dfine-small-coco)."
        )
    return transformers.CONFIG_MAPPING[model_type].from_dict(data)


def _with_classes(config: transformers.PretrainedConfig, num_classes: int) -> transformers.PretrainedConfig:
    """``config`` with a class head for ``num_classes`` (names reset to LABEL_i when the count changes)."""
    if config.num_labels != num_classes:
        config.num_labels = num_classes
    return config


def _normalisation(path: Path) -> tuple[list[float], list[float]]:
    """Per-channel (mean, std) on [0, 1] pixels from a preprocessor config; identity when it does not normalise."""
    settings = json.loads(path.read_text()) if path.is_file() else {}
    if not settings.get("do_normalize", False):  # RT-DETR and D-FINE processors only rescale by 1/255
        return [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]
    return list(settings["image_mean"]), list(settings["image_std"])


BACKENDS.register("transformers")(DetectorBackend(build=build, prepare=prepare, pretrained_classes=pretrained_classes))
