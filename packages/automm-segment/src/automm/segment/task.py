"""The semantic-segmentation task: a mask image per row in, per-pixel class maps out, IoU as the metric."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from automm.core.base.masks import MasksDecoder
from automm.core.errors import ConfigError, InputError
from automm.core.plugin import Built, ColumnDecision, ColumnType, Config, Task, flatten
from automm.core.vision.checks import check_image_paths
from automm.core.vision.input_size import InputSizeChoice, choose_input_size, image_size_given

from .backends.base import SegmenterOptions
from .backends.conv_lora import DEFAULT_EXPERTS, train_adapters_only
from .config import SegmentConfig
from .ingest import IMAGE_COLUMN, read_segmentation_data
from .losses import segmentation_loss
from .masks import MaskCodec, oriented_size
from .metric_names import BINARY_METRICS, MULTICLASS_METRICS
from .network import SegmenterSpec, backend
from .outputs import save_masks
from .presets import SAM_OPTIM
from .processor import SegmentationProcessor
from .prompts import parse_box, parse_points

if TYPE_CHECKING:
    from .metrics import SegmentationMetric

# SAM variants by task.architecture; other names (smp decoders) let the checkpoint decide.
SAM_ARCHITECTURES = ("vit_b", "vit_l", "vit_h")


class SegmentationTask(Task):
    """Classes are the distinct pixel values (or colours) of the training masks, in sorted order.

    Before any fit, a pretrained SAM predicts binary masks (zero-shot): the object a point / box prompt column
    points at, or without prompts SAM's single mask for the whole image (as AutoGluon-MM's ``num_classes=1``).
    """

    default_label = "label"
    # AutoGluon-MM's num_classes=: 1 for foreground / background (binary masks, zero-shot SAM), else the count.
    arguments: ClassVar[tuple[str, ...]] = ("num_classes",)
    predicts_before_fit: ClassVar[bool] = True  # a pretrained SAM; build() refuses others
    # Image settings live in the task section; the backbone's pretraining, weights file and augmentation in core's.
    config_sections = (
        "model.image.pretrained", "model.image.weights_path", "model.image.augment", "optim", "env", "distiller",
        "ensemble")
    config_hints = {"model.image.image_size": "task.image_size", "model.image.checkpoint": "task.backbone"}
    config_type = SegmentConfig
    predict_options: ClassVar[tuple[str, ...]] = ("save_results",)
    metric_names = {"semantic_segmentation": ("iou", "ber", "sm", "em", "fm", "mae", "accuracy")}
    modalities = {"semantic_segmentation": frozenset({"image"})}

    # Set by ``configure`` when the user gave no task.image_size: ``build`` chooses it from the training images.
    chooses_input_size: bool = False

    def __init__(self, problem_type: str, codec: MaskCodec, threshold: float = 0.5, point_column: str = "",
                 box_column: str = "", keep_pretrained_if_better: bool = False):
        self.problem_type, self.codec, self.threshold = problem_type, codec, threshold
        self.point_column, self.box_column = point_column, box_column
        self.keep_pretrained_if_better = keep_pretrained_if_better

    # ------------------------------------------------------------------ data and labels
    @classmethod
    def read_data(cls, data: Any, role: str) -> pd.DataFrame:
        return read_segmentation_data(data, role)

    @classmethod
    def fit(cls, labels: pd.DataFrame, problem_type: str, arguments: Mapping[str, Any] | None = None,
            ) -> SegmentationTask:
        column = labels.columns[0]
        count = (arguments or {}).get("num_classes")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
            raise ConfigError(f"num_classes must be a positive integer (1: foreground / background), got {count!r}.")
        if labels[column].isna().all():  # zero-shot data without masks (see for_zero_shot)
            if count not in (None, 1):
                raise ConfigError(f"num_classes={count} before fit: a pretrained SAM segments one foreground "
                                  "(num_classes=1). Fit on masks of your classes first, or pass num_classes=1.")
            return cls(problem_type, MaskCodec.any_binary())
        _check_mask_paths(labels[column], column)
        task = cls(problem_type, MaskCodec.learn(labels[column].items()))
        if count is not None and count != task.output_size:
            raise ConfigError(f"num_classes={count} but the masks of {column!r} hold {task.output_size} "
                              f"{'class' if task.output_size == 1 else 'classes'} (1: foreground / background, as "
                              "AutoGluon-MM counts). Pass that number or leave num_classes out (automm counts them).")
        return task

    def for_zero_shot(self) -> SegmentationTask:
        """Before fit: binary masks, read in any encoding when evaluating."""
        return SegmentationTask(self.problem_type, MaskCodec.any_binary(), self.threshold)

    @property
    def before_fit(self) -> bool:
        """Whether this task has seen no training masks (a zero-shot predictor)."""
        return self.codec.kind == "nonzero"

    @property
    def prompt_columns(self) -> list[str]:
        return [c for c in (self.point_column, self.box_column) if c]

    @property
    def input_columns(self) -> list[str]:
        return [IMAGE_COLUMN, *self.prompt_columns]

    @property
    def output_size(self) -> int:
        return 1 if self.codec.binary else self.codec.num_classes

    def encode(self, labels: pd.DataFrame) -> np.ndarray:
        """Per row the mask's path (masks are decoded batch by batch, not held in memory)."""
        column = labels.columns[0]
        _check_mask_paths(labels[column], column)
        encoded = np.empty(len(labels), dtype=object)
        encoded[:] = [str(path) for path in labels[column]]
        return encoded

    def check_inputs(self, features: pd.DataFrame, role: str) -> None:
        """Every image path is a string naming a file that exists; every prompt cell parses."""
        check_image_paths(features, IMAGE_COLUMN, role, "a CSV's relative paths are read from its folder")
        for column, parse in ((self.point_column, parse_points), (self.box_column, parse_box)):
            if column:
                for row, cell in features[column].items():
                    parse(cell, row, column)

    def check_targets(self, rows: pd.DataFrame, targets: np.ndarray, role: str) -> None:
        """Every mask exists and has its image's size (read from the file headers), named by the user's row: core
        calls this on the training, validation and tuning rows before training, and on ``evaluate``'s rows."""
        for (row, image), mask in zip(rows[IMAGE_COLUMN].items(), targets):
            if not Path(mask).is_file():
                raise InputError(f"{role}: row {row!r}: mask {mask!r} does not exist. Fix the path in the label "
                                 "column or remove the row.")
            image_size, mask_size = oriented_size(image, row), oriented_size(mask, row)
            if image_size != mask_size:
                raise InputError(f"{role}: row {row!r}: mask {mask!r} is {mask_size[1]}x{mask_size[0]} px but image "
                                 f"{image!r} is {image_size[1]}x{image_size[0]} px. A mask must have its image's size: "
                                 "fix the mask or remove the row.")

    def training_data(self, net: Any, processors: Any, features: pd.DataFrame, targets: np.ndarray, config: Config,
                      ) -> tuple[Any, pd.DataFrame, np.ndarray]:
        """Before training (the masks were checked by ``check_targets``): with ``task.conv_lora`` only the adapters
        of SAM's image encoder train; SAM's encoder trains with gradient checkpointing, in micro-batches sized to
        the free memory, or the fit is refused here (``sam_memory``)."""
        if config.task.conv_lora:
            train_adapters_only(net)
        if config.task.resolved_backend == "sam":
            from .sam_memory import fit_memory  # torch and segment_anything only for SAM fits

            fit_memory(net.model, config)
        return processors, features, targets

    # ------------------------------------------------------------------ network and training
    def configure(self, config: Config, overrides: Mapping[str, Any]) -> tuple[SegmentationTask, Config]:
        """SAM, whichever preset and key chose it, trains with SAM's optimisation settings (``presets.SAM_OPTIM``:
        batch 4, LoRA adapters on the image encoder, ...) where ``overrides`` set none; with Conv-LoRA adapters and
        no ``optim.peft`` of core's, no LoRA besides. The prompt columns become inputs of the returned task. Unless
        the user set ``task.image_size``, ``build`` chooses the input size from the training images (at most the
        backend's default, ``automm.core.vision.input_size``)."""
        settings: SegmentConfig = config.task
        task = SegmentationTask(self.problem_type, self.codec, self.threshold, settings.point_column,
                                settings.box_column, self.keep_pretrained_if_better)
        task.chooses_input_size = not image_size_given(overrides, settings)
        if settings.resolved_backend != "sam":
            return task, config
        optim = dataclasses.replace(config, optim=SAM_OPTIM).override(overrides).optim
        if settings.conv_lora and flatten(overrides).get("optim.peft", "conv_lora") == "conv_lora":
            optim = dataclasses.replace(optim, peft="none")
        return task, dataclasses.replace(config, optim=optim)

    def build(self, features: pd.DataFrame, columns: dict[str, ColumnDecision], config: Config) -> Built:
        settings: SegmentConfig = config.task
        name = settings.resolved_backend
        _check_prompt_support(name, self.prompt_columns, self.before_fit, config.model.image.pretrained)
        architecture = settings.architecture
        if name == "sam" and architecture not in SAM_ARCHITECTURES:
            architecture = "auto"
        image = config.model.image
        extra: dict[str, Any] = {"weights_path": image.weights_path} if image.weights_path and name == "smp" else {}
        if settings.conv_lora:
            if name != "sam":
                raise ConfigError("task.conv_lora (optim.peft='conv_lora') adapts SAM's image encoder; give a SAM "
                                  "checkpoint (hyperparameters={'model.sam.checkpoint_name': ...}) or use "
                                  "optim.peft='lora'.")
            extra["conv_lora"] = {"rank": config.optim.lora_rank, "experts": DEFAULT_EXPERTS}
        chosen = self._input_size(features, settings)
        options = SegmenterOptions(architecture, self.output_size, chosen.size if chosen else
                                   settings.resolved_image_size, settings.backbone, image.pretrained, extra,
                                   checkpoint=settings.checkpoint)
        options = backend(name).prepare(options)
        # A pretrained SAM given prompts already segments the prompted object: a binary fit must not end worse.
        keep = bool(self.prompt_columns) and self.output_size == 1 and image.pretrained
        task = SegmentationTask(self.problem_type, self.codec, settings.threshold, self.point_column,
                                self.box_column, keep)
        processor = SegmentationProcessor(IMAGE_COLUMN, options.image_size, image.augment, settings.scale_jitter,
                                          settings.flip, codec=self.codec, point_column=self.point_column,
                                          box_column=self.box_column)
        spec = SegmenterSpec(name, options, chosen)
        columns = {IMAGE_COLUMN: ColumnDecision(IMAGE_COLUMN, ColumnType.IMAGE_PATH, "the segmentation task's image")}
        for column, what in ((self.point_column, "point"), (self.box_column, "box")):
            if column:
                columns[column] = ColumnDecision(column, ColumnType.COORDINATES, f"SAM {what} prompts "
                                                 f"(task.{what}_column)")
        return Built(processor, spec, spec.build(None, pretrained=True), None, columns, task)

    def _input_size(self, features: pd.DataFrame, settings: SegmentConfig) -> InputSizeChoice | None:
        """The input size chosen from the training images, or None: the configured one (the user's, or a
        pretrained SAM's before any training mask). SAM takes any multiple of its 16 px patch: its position
        tables are resized to the input when the weights load."""
        if not self.chooses_input_size or self.before_fit or IMAGE_COLUMN not in features.columns:
            return None
        return choose_input_size(features[IMAGE_COLUMN].tolist(), settings.resolved_image_size,
                                 settings.min_image_size)

    def loss(self, optim: Any, task_config: Any = None):
        return segmentation_loss(self.codec.binary)

    def metric(self, names: list[str] | None) -> SegmentationMetric:
        names = list(names) if names else list(BINARY_METRICS[:-1] if self.codec.binary else MULTICLASS_METRICS)
        from .metrics import SegmentationMetric  # torchmetrics: imported when a fit or an evaluation needs it

        return SegmentationMetric(self.codec.num_classes, names, self.threshold)

    @property
    def validation_metric(self) -> tuple[str, bool]:
        return "iou", True

    def default_metric_names(self) -> list[str]:
        return list(BINARY_METRICS[:-1] if self.codec.binary else MULTICLASS_METRICS)

    def validation_fallback(self, name: str, targets: Any) -> tuple[str, str] | None:
        """IoU when ``name`` is a binary-mask metric and these masks have more than two classes."""
        if not self.codec.binary and name not in MULTICLASS_METRICS:
            return "iou", f"{name} is for binary masks, these have {self.codec.num_classes} classes"
        return None

    # ------------------------------------------------------------------ outputs
    def decoder_spec(self) -> dict[str, Any]:
        """The masks decoder (``automm.core.base.masks.MasksDecoder``) of this mask encoding and threshold."""
        return {"decoder": "masks", "codec": self.codec.to_json(), "threshold": self.threshold}

    def decoder(self) -> MasksDecoder:
        return MasksDecoder(self.codec.to_json(), self.threshold)

    def predict(self, logits: list[np.ndarray], index: pd.Index) -> pd.Series:
        return self.decoder().predict(logits, index)

    def predict_rows(self, outputs: list[np.ndarray], rows: pd.DataFrame, save_results: str | None = None,
                     ) -> pd.Series:
        """One ``[H, W]`` class-index mask per row; with ``save_results`` (a folder) the written PNG paths."""
        masks = self.decoder().predict(outputs, rows.index)
        if save_results is None:
            return masks
        return save_masks(masks, rows[IMAGE_COLUMN], self.codec, Path(save_results))

    def predict_proba(self, logits: list[np.ndarray], index: pd.Index) -> pd.DataFrame:
        """One column per class (named by its mask value, or ``#rrggbb`` colour), cells ``[H, W]`` maps."""
        return self.decoder().predict_proba(logits, index)

    def score(self, logits: list[np.ndarray], targets: np.ndarray, metrics: list[str] | None = None,
              ) -> dict[str, float]:
        """Metrics of per-row outputs against the mask files ``targets`` (rows named by position).

        Raises:
            InputError: a mask's size differs from its output's (the mask file and row named).
        """
        metric = self.metric(metrics)
        for position, (output, path) in enumerate(zip(logits, targets)):
            mask = self.codec.decode(path, position)
            if tuple(np.shape(output)[-2:]) != mask.shape:
                raise InputError(f"Mask {str(path)!r} (row {position}) is {mask.shape[1]}x{mask.shape[0]} px but its "
                                 f"image's output is {np.shape(output)[-1]}x{np.shape(output)[-2]} px. A mask must "
                                 "have its image's size: fix the mask or remove the row.")
            metric.update([output], [mask])
        return metric.compute()

    # ------------------------------------------------------------------ JSON
    def to_json(self) -> dict[str, Any]:
        return {"problem_type": self.problem_type, "codec": self.codec.to_json(), "threshold": self.threshold,
                "point_column": self.point_column, "box_column": self.box_column,
                "keep_pretrained_if_better": self.keep_pretrained_if_better}

    @classmethod
    def from_json(cls, state: Mapping[str, Any]) -> SegmentationTask:
        threshold = float(state.get("threshold", 0.5))
        if not 0 < threshold < 1:
            raise ValueError("threshold must be in (0, 1)")
        point_column, box_column = state.get("point_column", ""), state.get("box_column", "")
        if not (isinstance(point_column, str) and isinstance(box_column, str)):
            raise ValueError("point_column and box_column must be column names (or empty)")
        return cls(str(state["problem_type"]), MaskCodec.from_json(dict(state["codec"])), threshold, point_column,
                   box_column, bool(state.get("keep_pretrained_if_better", state.get("zero_shot", False))))


def _check_prompt_support(backend_name: str, prompt_columns: list[str], before_fit: bool, pretrained: bool) -> None:
    """Prompt columns need a backend that takes prompts; predicting before fit needs SAM's pretrained weights."""
    if prompt_columns and not backend(backend_name).prompts:
        raise ConfigError(f"Prompt columns {prompt_columns} (task.point_column / task.box_column) need Segment "
                          f"Anything; the {backend_name} segmenter takes no prompts. Give a SAM checkpoint "
                          "(hyperparameters={'model.sam.checkpoint_name': 'facebook/sam-vit-base'}) or drop them.")
    if before_fit and not (backend(backend_name).prompts and pretrained):
        raise ConfigError("This segmenter cannot predict before fit(): call fit(train_data) with image and mask "
                          "columns first. Zero-shot masks need a pretrained SAM: hyperparameters="
                          "{'model.sam.checkpoint_name': 'facebook/sam-vit-base'} (optionally 'task.box_column' or "
                          "'task.point_column' with a box [x1, y1, x2, y2] or points [[x, y], ...] per row).")


def _check_mask_paths(masks: pd.Series, column: str) -> None:
    """A label column of numbers (a classification label) is refused with the fix."""
    for row, value in masks.items():
        if not isinstance(value, (str, Path)):
            raise InputError(f"Label column {column!r} row {row!r} holds {value!r}, not a mask image path. Semantic "
                             "segmentation needs one mask file per row (class indices, 0/255 or colours as a PNG); "
                             "for one class per image use problem_type='multiclass' (automm-classify).")

