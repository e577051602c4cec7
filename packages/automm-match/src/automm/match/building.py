"""Build a matching predictor's processors and network: per-side towers, shared or separate."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from automm.core.errors import InputError
from automm.core.plugin import (
    IMAGE_EXTENSIONS,
    Built,
    ColumnDecision,
    ColumnType,
    Config,
    ImageProcessor,
    Processors,
    SidedProcessors,
    TextProcessor,
    fit_processors,
    network_spec,
    resolve_text_folder,
)

from .clip import ClipSpec, clip_image_normalization, is_clip_folder
from .network import BiEncoderSpec

DEFAULT_PROJECTION = 256


def side_modality(columns: list[ColumnDecision]) -> str:
    """"image" when every column of the side holds images, "text" when none does."""
    kinds = {"image" if d.type.is_image else "text" for d in columns}
    if len(kinds) > 1:
        raise InputError(f"A matching side mixes image and text columns ({[d.column for d in columns]}); put images "
                         "and text on different sides, or use image columns only on one side.")
    return kinds.pop()


def build_bi_encoder(sides: dict[str, list[str]], features: pd.DataFrame, columns: dict[str, ColumnDecision],
                     config: Config) -> Built:
    """A bi-encoder (or CLIP dual encoder when the text checkpoint is a CLIP model) over ``sides``."""
    text_folder = resolve_text_folder(columns, config)
    modalities = {side: side_modality([columns[c] for c in names]) for side, names in sides.items()}
    if is_clip_folder(text_folder):
        processors = _clip_processors(sides, columns, config, text_folder)
        spec = ClipSpec(modalities)
        return Built(processors, spec, spec.build(text_folder, pretrained=True), text_folder, columns)
    processors = SidedProcessors({
        side: fit_processors(features[[c for c in names if c in features]],
                             {c: columns[c] for c in names}, config, text_folder)
        for side, names in sides.items()
    })
    shared = config.task.shared_towers and len(set(modalities.values())) == 1
    side_towers = {side: ("shared" if shared else side) for side in sides}
    towers = {tower: next(s for s, t in side_towers.items() if t == tower) for tower in side_towers.values()}
    widths = {tower: _tower_width(processors.sides[side], config, text_folder) for tower, side in towers.items()}
    projection = config.task.projection_dim or (DEFAULT_PROJECTION if len(set(widths.values())) > 1 else None)
    tower_specs = {tower: network_spec(processors.sides[side], config, projection) for tower, side in towers.items()}
    spec = BiEncoderSpec(tower_specs, side_towers)
    return Built(processors, spec, spec.build(text_folder, pretrained=True), text_folder, columns)


def _tower_width(processors: Processors, config: Config, text_folder: Path | None) -> int:
    """The width of a tower's embedding without projection, read from the backbone configs."""
    if processors.image is not None and processors.text is None:
        from automm.core.plugin import create_image_backbone

        return int(create_image_backbone(config.model.image.checkpoint, pretrained=False).num_features)
    if processors.text is not None and processors.image is None:
        from transformers import AutoConfig

        return int(AutoConfig.from_pretrained(str(text_folder), local_files_only=True).hidden_size)
    return config.model.fusion.hidden_size


def _clip_processors(sides: dict[str, list[str]], columns: dict[str, ColumnDecision], config: Config,
                     folder: Path) -> SidedProcessors:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    mean, std, size = clip_image_normalization(folder)
    max_length = min(config.model.text.max_length, int(tokenizer.model_max_length or 77), 77)
    result = {}
    for side, names in sides.items():
        if side_modality([columns[c] for c in names]) == "text":
            result[side] = Processors(text=TextProcessor(names, max_length, tokenizer))
        else:
            image = ImageProcessor(names, [columns[c].type.value for c in names], size, mean, std, 1)
            result[side] = Processors(image=image, augment_images=config.model.image.augment)
    return SidedProcessors(result)


def as_side_column(decision: ColumnDecision, values: pd.Series, modalities: set[str]) -> ColumnDecision:
    """Matching compares text or images: a column detected as anything else (constant, id, category...)
    becomes an image column if its values are image paths or bytes (or images are all the problem type
    takes), else text."""
    if decision.type.is_image or decision.type is ColumnType.TEXT:
        return decision
    present = values.dropna()
    first = present.iloc[0] if len(present) else None
    if isinstance(first, (bytes, bytearray)):
        kind = ColumnType.IMAGE_BYTES
    elif "text" not in modalities or ("image" in modalities and _looks_like_image_path(first)):
        kind = ColumnType.IMAGE_PATH
    else:
        kind = ColumnType.TEXT
    return dataclasses.replace(decision, type=kind, reason=f"matching side ({decision.type.value} as detected: "
                                                           f"{decision.reason})")


def _looks_like_image_path(value: object) -> bool:
    return isinstance(value, str) and value.strip().lower().endswith(IMAGE_EXTENSIONS)
