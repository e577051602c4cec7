"""Decoders' answers as JSON for the HTTP API (automm-deploy's servers), one answer per request (a span of rows).

Decoders register how they answer in ``registry.ANSWER_ENCODERS``; one without an entry answers as a table:
``{"predictions": [...], "columns": [...] (several columns), "probabilities": [[...], ...], "classes": [...]}``.
"""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np
import pandas as pd

from .registry import ANSWER_ENCODERS

Spans = list[tuple[int, int]]  # each request's first row and the row after its last


def decoded(decoder: Any, outputs: Any, rows: pd.DataFrame) -> Any:
    """``decoder.predict`` on the rows (those that need them) or their index."""
    return decoder.predict(outputs, rows if decoder.needs_rows else rows.index)


def table_answers(decoder: Any, outputs: Any, rows: pd.DataFrame, spans: Spans) -> list[dict[str, Any]]:
    """Labels or values, and probabilities where the decoder has them."""
    predictions = decoded(decoder, outputs, rows)
    proba = decoder.predict_proba(outputs, rows.index) if decoder.has_proba else None
    return [answer(predictions.iloc[start:end], None if proba is None else proba.iloc[start:end])
            for start, end in spans]


@ANSWER_ENCODERS.register("masks")
def mask_answers(decoder: Any, outputs: Any, rows: pd.DataFrame, spans: Spans) -> list[dict[str, Any]]:
    """Each row's mask as a base64 PNG in the training masks' encoding, with its size; the classes name the
    PNG's pixel values."""
    masks = [{"mask": base64.b64encode(decoder.png(mask)).decode("ascii"), "height": mask.shape[0],
              "width": mask.shape[1]} for mask in decoded(decoder, outputs, rows)]
    return [{"predictions": masks[start:end], "classes": decoder.classes} for start, end in spans]


@ANSWER_ENCODERS.register("boxes")
def box_answers(decoder: Any, outputs: Any, rows: pd.DataFrame, spans: Spans) -> list[dict[str, Any]]:
    """Each row's detections (``bboxes`` of the detections table, without the image it echoes)."""
    boxes = decoded(decoder, outputs, rows)["bboxes"].tolist()
    return [{"predictions": boxes[start:end]} for start, end in spans]


def answer(predictions: pd.Series | pd.DataFrame, proba: pd.DataFrame | None) -> dict[str, Any]:
    """The JSON answer of one request: predictions, and probabilities with their classes when there are any."""
    body: dict[str, Any] = {"predictions": json_values(predictions)}
    if isinstance(predictions, pd.DataFrame):
        body["columns"] = [json_value(column) for column in predictions.columns]
    if proba is not None:
        body["probabilities"] = json_values(proba)
        body["classes"] = [json_value(column) for column in proba.columns]
    return body


def json_values(values: pd.Series | pd.DataFrame) -> list[Any]:
    """A Series as a list, a DataFrame as a list of row lists, of JSON-native values."""
    array = values.to_numpy(dtype=object)
    if array.ndim == 1:
        return [json_value(value) for value in array]
    return [[json_value(value) for value in row] for row in array]


def json_value(value: Any) -> Any:
    """A numpy scalar as the Python value; NaN and infinity as null (JSON has neither)."""
    if isinstance(value, np.generic):
        value = value.item()
    return None if isinstance(value, float) and not math.isfinite(value) else value
