"""Zero-shot image classification: images scored against one text prompt per class."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import torch

from automm.core.errors import ConfigError, InputError, NotFittedError


def zero_shot_classify(predictor: Any, images: pd.DataFrame, class_names: Sequence[str],
                       template: str = "a photo of a {}.", scale: float = 100.0) -> pd.DataFrame:
    """Class probabilities ``[rows, classes]`` of each image row, from an image-text matcher (zero-shot or fitted).

    Each class name is put into ``template`` and embedded by the text side; the image side embeds
    ``images`` (a table with the predictor's image column). Probabilities are a softmax over
    ``scale * cosine``, as CLIP does.

    Example:
        >>> p = MultiModalPredictor(problem_type="image_text_similarity", query="image", response="text")
        >>> zero_shot_classify(p, photos, ["cat", "dog"]).idxmax(axis=1)
    """
    names = list(class_names)
    if len(names) < 2 or len(set(names)) < len(names) or not all(isinstance(n, str) and n.strip() for n in names):
        raise InputError(f"class_names must be at least two distinct, non-empty strings, got {names[:10]}.")
    if "{}" not in template:
        raise ConfigError(f"template must contain '{{}}' where the class name goes, got {template!r}.")
    if predictor.problem_type != "image_text_similarity":
        raise ConfigError(f"zero_shot_classify needs an image_text_similarity predictor, got "
                          f"{predictor.problem_type!r}.")
    image_side, text_side = _sides(predictor, images)
    prompts = pd.DataFrame({_task_sides(predictor)[text_side][0]: [template.format(n) for n in names]})
    text = predictor.extract_embedding(prompts, signature=text_side)
    pictures = predictor.extract_embedding(images, signature=image_side)
    probabilities = torch.softmax(torch.from_numpy(scale * pictures @ text.T), dim=1).numpy()
    return pd.DataFrame(probabilities, index=images.index, columns=names)


def _sides(predictor: Any, images: pd.DataFrame) -> tuple[str, str]:
    """(image side, text side): the side whose columns ``images`` holds is the image side."""
    sides = _task_sides(predictor)
    holding = [side for side, columns in sides.items() if set(columns) <= set(images.columns)]
    if len(holding) != 1:
        raise InputError(f"images must hold the column(s) of exactly one side of the predictor {sides}; it has "
                         f"{list(images.columns)[:10]}.")
    image_side = holding[0]
    text_side = next(side for side in sides if side != image_side)
    if len(sides[text_side]) != 1:
        raise ConfigError(f"The text side must be one column to hold the class prompts; it is {sides[text_side]}.")
    return image_side, text_side


def _task_sides(predictor: Any) -> dict[str, list[str]]:
    """Columns of each side: from the fitted task, or from the arguments of a predictor not used yet."""
    try:
        return predictor.state.task.sides
    except NotFittedError:
        arguments = predictor.task_arguments
        return {side: [arguments[side]] if isinstance(arguments[side], str) else list(arguments[side])
                for side in ("query", "response")}
