"""Fit the data processors and build the network for a new predictor."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from .config import Config
from .data.batch import Processors
from .data.column_types import ColumnDecision, ColumnType
from .data.images import ImageProcessor
from .data.tabular import CategoricalProcessor, NumericalProcessor
from .data.text import TextProcessor
from .errors import InputError
from .models.checkpoints import image_normalization_or_imagenet
from .models.network import NetworkSpec, build_network
from .results import Built

logger = logging.getLogger("automm")

IMAGE_TYPES = (ColumnType.IMAGE_PATH, ColumnType.IMAGE_BYTES, ColumnType.IMAGE_BASE64)
MODALITY_TYPES = {"text": (ColumnType.TEXT,), "image": IMAGE_TYPES,
                  "tabular": (ColumnType.NUMERICAL, ColumnType.CATEGORICAL)}


def columns_of(columns: dict[str, ColumnDecision], *types: ColumnType) -> list[str]:
    return [c for c, d in columns.items() if d.type in types]


def fit_processors(features: pd.DataFrame, columns: dict[str, ColumnDecision], config: Config,
                   text_folder: Path | None) -> Processors:
    """Processors for the modalities present; vocabularies and statistics come from ``features``."""
    numerical = columns_of(columns, ColumnType.NUMERICAL)
    categorical = columns_of(columns, ColumnType.CATEGORICAL)
    text = columns_of(columns, ColumnType.TEXT)
    images = columns_of(columns, *IMAGE_TYPES)
    text_processor = None
    if text:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(text_folder), local_files_only=True)
        text_processor = TextProcessor(text, config.model.text.max_length, tokenizer)
    image_processor = None
    if images:
        mean, std = image_normalization_or_imagenet(config.model.image.checkpoint)
        image_processor = ImageProcessor(images, [columns[c].type.value for c in images], config.model.image.image_size,
                                         mean, std, config.model.image.max_images_per_row)
    return Processors(
        numerical=(NumericalProcessor.fit(features, numerical, config.model.tabular.numerical_transform)
                   if numerical else None),
        categorical=CategoricalProcessor.fit(features, categorical) if categorical else None,
        text=text_processor,
        image=image_processor,
        augment_images=config.model.image.augment,
    )


def tabular_model(name: str, processors: Processors) -> str:
    """The tabular encoder ``name`` stands for: "auto" is the FT-Transformer when the table has no text or image
    columns, and the MLP beside a text or image backbone (where it is a small part and costs less)."""
    if name != "auto":
        return name
    return "ft_transformer" if processors.text is None and processors.image is None else "mlp"


def network_spec(processors: Processors, config: Config, output_size: int | None) -> NetworkSpec:
    model = config.model
    tabular = None
    if processors.numerical or processors.categorical:
        tabular = {
            "model": tabular_model(model.tabular.model, processors),
            "num_numerical": len(processors.numerical.columns) if processors.numerical else 0,
            "cardinalities": processors.categorical.cardinalities if processors.categorical else [],
            "hidden_size": model.tabular.hidden_size,
            "num_layers": model.tabular.num_layers,
            "dropout": model.tabular.dropout,
        }
    return NetworkSpec(
        output_size=output_size,
        text={"pooling": model.text.pooling, "num_layers": model.text.num_layers,
              **({} if model.text.pretrained else {"pretrained": False})} if processors.text else None,
        image={"checkpoint": model.image.checkpoint, "pretrained": model.image.pretrained,
               "weights_path": model.image.weights_path, "freeze_batchnorm": model.image.freeze_batchnorm}
        if processors.image else None,
        tabular=tabular,
        fusion={"model": model.fusion.model, "hidden_size": model.fusion.hidden_size,
                "dropout": model.fusion.dropout, "modality_dropout": model.fusion.modality_dropout,
                "missing_modality": model.fusion.missing_modality},
    )


def resolve_text_folder(columns: dict[str, ColumnDecision], config: Config) -> Path | None:
    """The local folder of the text backbone when any column is text, else None."""
    if not columns_of(columns, ColumnType.TEXT):
        return None
    from .models.checkpoints import resolve_text_checkpoint

    return resolve_text_checkpoint(config.model.text.checkpoint)


def select_modalities(columns: dict[str, ColumnDecision], modalities: tuple[str, ...]) -> dict[str, ColumnDecision]:
    """``columns`` with those of modalities outside ``model.modalities`` set to ignored (empty: all kept)."""
    if not modalities:
        return columns
    kept = {t for m in modalities for t in MODALITY_TYPES[m]}
    dropped = [c for c, d in columns.items() if d.type.is_used and d.type not in kept]
    if not dropped:
        return columns
    if all(d.type not in kept for d in columns.values()):
        raise InputError(f"model.modalities={list(modalities)} leaves no feature column: the columns are "
                         f"{ {c: d.type.value for c, d in columns.items()} }. Add their modality to model.modalities.")
    logger.info("model.modalities=%s: column(s) %s of other modalities are not used.", list(modalities), dropped)
    reason = f"model.modalities={list(modalities)}"
    return {c: ColumnDecision(c, ColumnType.NULL, reason) if c in dropped else d for c, d in columns.items()}


def build_multimodal(features: pd.DataFrame, columns: dict[str, ColumnDecision], config: Config,
                     output_size: int | None) -> Built:
    """One multimodal network over every used column of ``model.modalities``, with a linear head of
    ``output_size``."""
    columns = select_modalities(columns, config.model.modalities)
    text_folder = resolve_text_folder(columns, config)
    processors = fit_processors(features, columns, config, text_folder)
    spec = network_spec(processors, config, output_size)
    return Built(processors, spec, build_network(spec, text_folder, pretrained=True), text_folder, columns)

