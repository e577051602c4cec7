"""The public plug-in module: everything a task package imports from automm-core, and nothing else.

Task packages import core only from here and from :mod:`automm.core` (the predictor, the errors),
:mod:`automm.core.errors`, :mod:`automm.core.base`, :mod:`automm.core.vision` and :mod:`automm.core.testing`;
an import-linter contract (``.importlinter``) keeps it so. The contract itself is written down in
:mod:`automm.core.protocols`: a :class:`Task` is a label codec, a model factory and its outputs, plus opt-in
capabilities; processor kinds, network kinds, networks and batches are ``Protocol``s.

Names that need torch load on first use, so importing a task plug-in stays light (``discover`` imports every
installed one).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .base.registry import Registry
from .config import (
    Config,
    EnsembleConfig,
    ImageConfig,
    ModelConfig,
    OptimConfig,
    TabularConfig,
    TextConfig,
    flatten,
)
from .data.column_types import IMAGE_EXTENSIONS, NER_TEXT_REASON, ColumnDecision, ColumnType, split_paths
from .data.ingest import read_table
from .data.processor_kinds import PROCESSOR_KINDS
from .data.tabular import to_numeric
from .discovery import distribution_version
from .errors import (
    AutoMMError,
    CheckpointNotFoundError,
    ConfigError,
    InputError,
    NotFittedError,
    PluginAPIError,
    PredictorLoadError,
    TaskNotInstalledError,
)
from .metric_choice import tracked as tracked_metric
from .protocols import (
    Batch,
    Built,
    Calibrated,
    DirectFit,
    Distillable,
    LabelCodec,
    ModelFactory,
    Net,
    NetworkKind,
    Outputs,
    ProcessorKind,
    ZeroShot,
)
from .results import FitResult
from .suggest import did_you_mean
from .tasks import PLUGIN_API, Task, TaskPlugin

if TYPE_CHECKING:
    from .building import build_multimodal, fit_processors, network_spec, resolve_text_folder
    from .data.batch import Batch as MultiModalBatch
    from .data.batch import Processors
    from .data.images import ImageProcessor
    from .data.letterbox import read_letterboxed, read_pixels, resize_pixels
    from .data.sides import SidedBatch, SidedProcessors
    from .data.text import CHARS_PER_TOKEN, TextProcessor
    from .embedding import top_k_cosine
    from .inference import run_network, to_numpy
    from .models.checkpoints import (
        create_image_backbone,
        hub_model_folder,
        image_normalization_or_imagenet,
        is_model_folder,
        resolve_text_checkpoint,
    )
    from .models.fusion import MultiModalNet
    from .models.network import NETWORK_KINDS, NetworkSpec, load_text_backbone
    from .persistence import _load_tokenizer as load_tokenizer
    from .persistence import _single_processors as processors_from_json
    from .persistence import check_save_target, processors_to_json, staged_folder
    from .ranking import DEFAULT_CUTOFFS, ranking_scores, semantic_similarity
    from .training.budget import Deadline

# name -> (module, attribute): the names that import torch, loaded on first use.
_LAZY: dict[str, tuple[str, str]] = {
    **{name: (".building", name) for name in ("build_multimodal", "fit_processors", "network_spec",
                                               "resolve_text_folder")},
    "MultiModalBatch": (".data.batch", "Batch"),
    "Processors": (".data.batch", "Processors"),
    "ImageProcessor": (".data.images", "ImageProcessor"),
    **{name: (".data.letterbox", name) for name in ("read_letterboxed", "read_pixels", "resize_pixels")},
    "SidedBatch": (".data.sides", "SidedBatch"),
    "SidedProcessors": (".data.sides", "SidedProcessors"),
    "CHARS_PER_TOKEN": (".data.text", "CHARS_PER_TOKEN"),
    "TextProcessor": (".data.text", "TextProcessor"),
    "top_k_cosine": (".embedding", "top_k_cosine"),
    **{name: (".ranking", name) for name in ("DEFAULT_CUTOFFS", "ranking_scores", "semantic_similarity")},
    "run_network": (".inference", "run_network"),
    "to_numpy": (".inference", "to_numpy"),
    **{name: (".models.checkpoints", name) for name in ("create_image_backbone", "hub_model_folder",
                                                         "image_normalization_or_imagenet", "is_model_folder",
                                                         "resolve_text_checkpoint")},
    "MultiModalNet": (".models.fusion", "MultiModalNet"),
    "NETWORK_KINDS": (".models.network", "NETWORK_KINDS"),
    "NetworkSpec": (".models.network", "NetworkSpec"),
    "load_text_backbone": (".models.network", "load_text_backbone"),
    "load_tokenizer": (".persistence", "_load_tokenizer"),
    "processors_from_json": (".persistence", "_single_processors"),
    "check_save_target": (".persistence", "check_save_target"),
    "processors_to_json": (".persistence", "processors_to_json"),
    "staged_folder": (".persistence", "staged_folder"),
    "Deadline": (".training.budget", "Deadline"),
}

__all__ = [
    "CHARS_PER_TOKEN", "DEFAULT_CUTOFFS", "IMAGE_EXTENSIONS", "NER_TEXT_REASON", "NETWORK_KINDS", "PROCESSOR_KINDS",
    "AutoMMError", "Batch", "Built", "Calibrated", "CheckpointNotFoundError", "ColumnDecision", "ColumnType",
    "Config", "ConfigError", "Deadline", "DirectFit", "Distillable", "EnsembleConfig", "FitResult", "ImageConfig",
    "ImageProcessor", "InputError", "LabelCodec", "ModelConfig", "ModelFactory", "MultiModalBatch", "MultiModalNet",
    "Net", "NetworkKind", "NetworkSpec", "NotFittedError", "OptimConfig", "Outputs", "PLUGIN_API", "PluginAPIError",
    "PredictorLoadError", "ProcessorKind", "Processors", "Registry", "SidedBatch", "SidedProcessors", "TabularConfig",
    "Task", "TaskNotInstalledError", "TaskPlugin", "TextConfig", "TextProcessor", "ZeroShot", "build_multimodal",
    "check_save_target", "create_image_backbone", "did_you_mean", "distribution_version", "fit_processors",
    "flatten", "hub_model_folder", "image_normalization_or_imagenet", "is_model_folder", "load_text_backbone",
    "load_tokenizer", "network_spec", "processors_from_json", "processors_to_json", "ranking_scores",
    "read_letterboxed", "read_pixels", "read_table", "resize_pixels", "resolve_text_checkpoint",
    "resolve_text_folder", "run_network", "semantic_similarity", "split_paths", "staged_folder", "to_numeric",
    "to_numpy", "top_k_cosine", "tracked_metric",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attribute = _LAZY[name]
        value = getattr(import_module(module, __package__), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'automm.core.plugin' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
