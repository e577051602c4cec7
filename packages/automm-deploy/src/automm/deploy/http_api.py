"""The HTTP API shared by the servers (LitServe in ``serve``, Ray Serve in ``ray_serve``): the request body, row
and type checks, one model call for several requests' rows, JSON answers, 4xx errors and the body-size limit.

``POST /predict`` takes ``{"rows": [{column: value, ...}, ...]}`` and answers, one prediction per row:

- by default (labels, values, matches): ``{"predictions": [...], "probabilities": [[...], ...], "classes": [...]}``
  (no probabilities where the model has none; when predictions have several columns each prediction is a list, in
  the order of ``"columns"``);
- otherwise as the model's decoder registered its answers with ``automm.core.base.registry.ANSWER_ENCODERS``
  (``automm.core.base.answers``): masks as ``{"predictions": [{"mask": PNG as base64, "height": H, "width": W},
  ...], "classes": [...]}`` in the training masks' encoding (class ``i`` is pixel value ``classes[i]``), with no
  probability maps (use the runtime); boxes as ``{"predictions": [[{"class": name, "score": s, "bbox": [x1, y1, x2,
  y2]}, ...], ...]}``, each row's boxes best first in its image's pixels.

Images travel as base64 strings of the image files' bytes: a server never reads a path. Errors are ``{"detail":
message}`` with 400 (malformed JSON), 413 (body too large), 415 (not sent as JSON) or 422 (wrong shape, missing
columns, wrong types, images that do not decode).
"""

# No ``from __future__ import annotations``: the servers hand ``PredictRequest`` annotations to FastAPI, which
# cannot resolve string annotations from this module.

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from automm.core.base.decoding import answer_encoder
from automm.core.base.registry import AnswerEncoder

from .errors import DeployError, InputError
from .runtime import load

try:
    from fastapi import Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from pydantic import BaseModel, Field
    from starlette.datastructures import Headers
    from starlette.exceptions import HTTPException
    from starlette.types import ASGIApp, Message, Receive, Scope, Send
except ImportError as err:
    raise DeployError(f'Serving needs a server ({err.name} is missing): pip install "automm-deploy[serve]" '
                      '(LitServe) or "automm-deploy[ray]" (Ray Serve).') from None

DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024
EXPECTED_BODY = '{"rows": [{column: value, ...}, ...]} with at least one row'
IMAGE_KINDS = ("image_path", "image_base64", "image_bytes")
Rows = list[dict[str, Any]]


class PredictRequest(BaseModel):
    """The body of ``POST /predict``; FastAPI checks it in the HTTP process, before it can join a batch."""

    rows: Rows = Field(min_length=1)


@dataclass(frozen=True)
class Rejection:
    """A request whose rows the model cannot use (answered 422): what is wrong, where, and what to do."""

    detail: str


class RowService:
    """Answers requests of one export folder; a server's worker or replica holds one.

    Servers fail every request of a batch when one raises, so nothing here raises for a bad request: a
    request's problem travels as a ``Rejection`` and becomes that request's own 4xx response.

    Args:
        folder: what ``automm-deploy export`` wrote.
        device: "cpu", "cuda" or "tensorrt" (onnxruntime's execution providers).
        threads: onnxruntime intra-op threads.
    """

    def __init__(self, folder: str | Path, device: str = "cpu", threads: int | None = None):
        self.model = load(folder, device=device, threads=threads, allow_paths=False)
        self.answers: AnswerEncoder = answer_encoder(self.model.decoder.name)
        self.kinds = {column: self.model.manifest.columns.get(column, "") for column in self.model.columns}

    def decode(self, request: PredictRequest) -> Rows | Rejection:
        """The rows' feature columns, or a rejection naming the first row and column that cannot be used."""
        try:
            _check_rows(request.rows, self.kinds)
        except InputError as err:
            return Rejection(str(err))
        return [{column: row[column] for column in self.kinds} for row in request.rows]

    def answer_all(self, requests: list[Rows | Rejection]) -> list[dict[str, Any] | Rejection]:
        """Answers in request order: all usable rows in one model call; when the model refuses them (an image
        that does not decode), each request alone, so one bad request cannot fail the others of its batch."""
        usable = [rows for rows in requests if not isinstance(rows, Rejection)]
        try:
            answers = iter(self._answers(usable) if usable else [])
        except InputError:
            answers = iter([self._answer_alone(rows) for rows in usable])
        return [rows if isinstance(rows, Rejection) else next(answers) for rows in requests]

    @staticmethod
    def encode(output: dict[str, Any] | Rejection) -> JSONResponse:
        """The answer as JSON, or the rejection as 422 with ``{"detail": message}``."""
        if isinstance(output, Rejection):
            return JSONResponse({"detail": output.detail}, status_code=422)
        return JSONResponse(output)

    def _answer_alone(self, rows: Rows) -> dict[str, Any] | Rejection:
        try:
            return self._answers([rows])[0]
        except InputError as err:
            return Rejection(str(err))

    def _answers(self, requests: list[Rows]) -> list[dict[str, Any]]:
        """The answers of several requests from one run of the network over all their rows."""
        frame = pd.DataFrame([row for rows in requests for row in rows], columns=list(self.kinds))
        bounds = np.cumsum([0, *(len(rows) for rows in requests)]).tolist()
        return self.answers(self.model.decoder, self.model.network.outputs(frame), frame,
                            list(zip(bounds[:-1], bounds[1:])))


def _check_rows(rows: Rows, kinds: dict[str, str]) -> None:
    """Raise InputError for the first row that lacks a feature column or holds a value of the wrong JSON type.

    ``kinds`` maps each feature column to its type in the manifest ("numerical", "text", "image_path", ...).
    """
    for position, row in enumerate(rows):
        missing = [column for column in kinds if column not in row]
        if missing:
            raise InputError(f"Row {position} lacks feature column(s) {missing}. Send every feature column in "
                             "every row (null for a missing value).")
        for column, kind in kinds.items():
            problem = _type_problem(row[column], kind)
            if problem:
                raise InputError(f"Row {position}, column {column!r}: {problem}")


def _type_problem(value: Any, kind: str) -> str | None:
    """What is wrong with ``value`` as a cell of a ``kind`` column (None when nothing is)."""
    if value is None:
        return None
    if kind == "numerical":
        usable = (isinstance(value, (int, float)) and not isinstance(value, bool)) or (
            isinstance(value, str) and _is_number(value))
        return None if usable else f"expected a number or null, got {_describe(value)}."
    if kind in IMAGE_KINDS:
        return None if isinstance(value, str) else f"expected a base64-encoded image or null, got {_describe(value)}."
    if kind == "coordinates":  # SAM's point / box prompts: a JSON list, or its text
        return None if isinstance(value, (list, str)) else (f"expected a list of pixel coordinates, its JSON text or "
                                                             f"null, got {_describe(value)}.")
    if isinstance(value, (dict, list)):
        return f"expected text, a number or null, got {_describe(value)}."
    return None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _describe(value: Any) -> str:
    """A JSON value's kind, for error messages."""
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return {dict: "an object", list: "a list"}.get(type(value), repr(value))


class BodySizeLimit:
    """ASGI middleware answering 413 to a request body over ``max_bytes``: at once when its Content-Length says
    so, else (a chunked body) as soon as the bytes received pass the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await JSONResponse({"detail": self.detail(int(declared))}, status_code=413)(scope, receive, send)
            return
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise HTTPException(413, self.detail(received))
            return message

        await self.app(scope, receive_within_limit, send)

    def detail(self, size: int) -> str:
        return (f"The request body has {size} bytes or more; this server takes at most {self.max_bytes} "
                "(automm-deploy serve --max-body-mb). Send fewer rows per request, or smaller images.")


async def invalid_body(request: Request, error: RequestValidationError) -> JSONResponse:
    """FastAPI's body validation failures as one message: 400 for invalid JSON, 415 for a body not sent as JSON,
    422 for JSON of the wrong shape."""
    problems = error.errors()
    invalid_json = next((p for p in problems if p["type"] == "json_invalid"), None)
    if invalid_json is not None:
        reason = invalid_json.get("ctx", {}).get("error", "JSON decode error")
        return JSONResponse({"detail": f"The body is not valid JSON ({reason}, at character "
                                       f"{invalid_json['loc'][-1]}). Send {EXPECTED_BODY}."}, status_code=400)
    if any(isinstance(p.get("input"), (bytes, bytearray)) for p in problems):  # FastAPI did not read it as JSON
        sent_as = request.headers.get("content-type") or "no Content-Type"
        return JSONResponse({"detail": f"The body is sent with {sent_as!r}; send it as JSON (Content-Type: "
                                       f"application/json): {EXPECTED_BODY}."}, status_code=415)
    found = "; ".join(f"{'.'.join(str(part) for part in p['loc'][1:]) or 'body'}: {p['msg']}" for p in problems[:3])
    return JSONResponse({"detail": f"{found}. Send {EXPECTED_BODY}."}, status_code=422)
