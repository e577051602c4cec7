"""Annotation cells: lists of ``{"entity_group", "start", "end"}`` character spans (or that list as JSON text)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np

from automm.core.errors import InputError

KEYS = ("entity_group", "start", "end")
EXAMPLE = '[{"entity_group": "PER", "start": 0, "end": 5}]'


class Span(NamedTuple):
    """One entity: its group and the characters ``text[start:end]``."""

    group: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return {"entity_group": self.group, "start": self.start, "end": self.end}


def parse_cell(cell: Any, row: Any, column: str) -> list[Span]:
    """The spans of one label cell, sorted by start; refuses bad JSON, bad entries and overlapping spans."""
    where = f"Label column {column!r} row {row!r}"
    if isinstance(cell, str):
        try:
            cell = json.loads(cell)
        except json.JSONDecodeError as err:
            raise InputError(f"{where}: cannot parse {cell[:60]!r} as JSON ({err.msg}). Give a list of entities, "
                             f"e.g. {EXAMPLE}, or [] for a text without entities.") from err
    if isinstance(cell, (np.ndarray, tuple)):  # parquet and some readers give arrays of dicts
        cell = list(cell)
    if not isinstance(cell, list):
        raise InputError(f"{where} holds a {type(cell).__name__}, not a list of entities such as {EXAMPLE}.")
    spans = sorted((_span(entry, where) for entry in cell), key=lambda s: (s.start, s.end))
    for before, after in zip(spans, spans[1:]):
        if after.start < before.end:
            raise InputError(f"{where}: entities {before.to_dict()} and {after.to_dict()} overlap. NER tags each "
                             "character with at most one entity: remove or split one of them.")
    return spans


def _span(entry: Any, where: str) -> Span:
    if not isinstance(entry, dict):
        raise InputError(f"{where}: entity {entry!r} is not an object like {EXAMPLE}.")
    missing = [key for key in KEYS if key not in entry]
    if missing:
        raise InputError(f"{where}: entity {entry!r} lacks {missing}; each entity needs {list(KEYS)}.")
    group, start, end = (entry[key] for key in KEYS)
    if not isinstance(group, str) or not group.strip("-"):
        raise InputError(f"{where}: entity_group {group!r} must be a non-empty name such as 'PER'.")
    if not all(_is_int(v) for v in (start, end)):
        raise InputError(f"{where}: entity {entry!r} needs whole-number character offsets start and end.")
    if not 0 <= int(start) < int(end):
        raise InputError(f"{where}: entity {entry!r} must have 0 <= start < end (end is exclusive).")
    return Span(group, int(start), int(end))


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_inside(spans: list[Span], text: Any, row: Any, column: str, text_column: str) -> None:
    """Every span lies within its row's text."""
    length = len(text) if isinstance(text, str) else 0
    for span in spans:
        if span.end > length:
            raise InputError(f"Label column {column!r} row {row!r}: entity {span.to_dict()} ends after the "
                             f"{length}-character text of column {text_column!r}. Offsets count characters of "
                             "that column's text, end exclusive.")


def entity_groups(cells: Iterable[list[Span]]) -> list[str]:
    """The sorted distinct entity groups."""
    return sorted({span.group for spans in cells for span in spans})
