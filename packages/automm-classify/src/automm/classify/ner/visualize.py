"""``visualize_ner``: a sentence as HTML with its entity spans highlighted, one colour per entity group."""

from __future__ import annotations

import colorsys
import html
import json
import random
import re
from collections.abc import Iterable, Mapping
from typing import Any

from automm.core.errors import InputError

BIO_PREFIX = re.compile(r"^[BI]-", re.IGNORECASE)
MARK = ('<mark style="background-color:{color}; color:white; border-radius:.6em; padding:.1em .3em;"{title}>{text}'
        ' <b style="background-color:white; color:black; font-size:x-small; border-radius:.5em; padding:0 .3em;">'
        '{group}</b></mark>')


class EntityHTML(str):
    """The HTML of a highlighted sentence: a ``str`` that Jupyter and IPython display rendered."""

    def _repr_html_(self) -> str:
        return str(self)


def visualize_ner(sentence: str, annotations: Any, seed: int = 0) -> EntityHTML:
    """``sentence`` as HTML, each entity span marked with its group's colour and name.

    AutoGluon-MM's ``autogluon.multimodal.utils.visualize_ner`` takes the same arguments. ``annotations`` is a
    list of ``{"entity_group", "start", "end"}`` (a JSON text of one too), as labels or as ``predict`` returns
    them (a ``score`` shows when the mouse is over the span); BIO prefixes (``B-PER``) are dropped from the names.

    Example:
        >>> html = visualize_ner("Ada lives in Paris", [{"entity_group": "PER", "start": 0, "end": 3}])
        >>> html  # rendered in a notebook; str(html) is the markup

    Raises:
        InputError: an annotation lacks a key, or its span is outside the sentence or overlaps the previous one.
    """
    if not isinstance(sentence, str):
        raise InputError(f"visualize_ner takes the sentence as a string, got {type(sentence).__name__}.")
    spans = sorted(_spans(annotations, len(sentence)), key=lambda span: span[0])
    colours = _colours(sorted({group for _, _, group, _ in spans}), seed)
    parts, last = [], 0
    for start, end, group, score in spans:
        if start < last:
            raise InputError(f"visualize_ner: the span {start}:{end} ({group}) overlaps the span before it; "
                             "annotations must not overlap.")
        title = f' title="{group} {score:.3f}"' if score is not None else ""
        parts += [html.escape(sentence[last:start]), MARK.format(color=colours[group], title=title,
                                                                  text=html.escape(sentence[start:end]),
                                                                  group=html.escape(group))]
        last = end
    return EntityHTML("".join([*parts, html.escape(sentence[last:])]))


def _spans(annotations: Any, length: int) -> Iterable[tuple[int, int, str, float | None]]:
    """(start, end, group, score) of each annotation, checked against the sentence's ``length``."""
    if isinstance(annotations, str):
        try:
            annotations = json.loads(annotations)
        except json.JSONDecodeError as err:
            raise InputError(f"visualize_ner: the annotations text is not JSON ({err}).") from None
    for position, entity in enumerate(annotations or []):
        if not isinstance(entity, Mapping) or not {"entity_group", "start", "end"} <= set(entity):
            raise InputError(f"visualize_ner: annotation {position} ({entity!r}) is not a dict with entity_group, "
                             "start and end.")
        start, end = int(entity["start"]), int(entity["end"])
        if not 0 <= start < end <= length:
            raise InputError(f"visualize_ner: annotation {position} spans {start}:{end}, outside the "
                             f"{length}-character sentence.")
        score = entity.get("score")
        yield start, end, BIO_PREFIX.sub("", str(entity["entity_group"])), None if score is None else float(score)


def _colours(groups: list[str], seed: int) -> dict[str, str]:
    """A distinct, dark enough colour per group (hues spread evenly, the start drawn from ``seed``)."""
    offset = random.Random(seed).random()
    colours = {}
    for k, group in enumerate(groups):
        red, green, blue = colorsys.hsv_to_rgb((offset + k / max(1, len(groups))) % 1.0, 0.65, 0.75)
        colours[group] = f"#{int(red * 255):02X}{int(green * 255):02X}{int(blue * 255):02X}"
    return colours
