"""Serve an export folder over HTTP with LitServe (``pip install "automm-deploy[serve]"``).

``POST /predict`` takes ``{"rows": [{column: value, ...}, ...]}`` and answers ``{"predictions": [...],
"probabilities": [[...], ...], "classes": [...]}`` (no probabilities for regression; for multilabel and
multi-output regression each prediction is a list, in the order of ``"columns"``). Concurrent requests are
batched by LitServe (``max_batch_size``, ``batch_timeout``); ``GET /health`` is LitServe's. Images travel as
base64 strings of the image files' bytes: the server never reads a path.

Example:
    $ automm-deploy serve my_predictor.onnx/ --port 8080
    $ curl -s localhost:8080/predict -H 'Content-Type: application/json' \\
        -d '{"rows": [{"caption": "the red cat", "ink": 31.5, "colour": "red", "image": null}]}'
    {"predictions":["high"],"probabilities":[[0.61,0.39]],"classes":["high","low"]}
"""

# No ``from __future__ import annotations``: LitServe hands ``decode_request``'s annotation to FastAPI as the body
# model, and FastAPI cannot resolve a string annotation from LitServe's module.

import math
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import DeployError, InputError
from .runtime import PROVIDERS, load

try:
    import litserve as ls
    from fastapi import Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from pydantic import BaseModel, Field
    from starlette.datastructures import Headers
    from starlette.exceptions import HTTPException
    from starlette.types import ASGIApp, Message, Receive, Scope, Send
except ImportError as err:
    raise DeployError(f'Serving needs LitServe ({err.name} is missing): pip install "automm-deploy[serve]".') from None

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


class ExportAPI(ls.LitAPI):
    """LitServe API of one export folder: each worker loads the model once; LitServe batches the requests.

    LitServe fails every request of a batch when one raises, so nothing here raises for a bad request: a
    request's problem travels as a ``Rejection`` and becomes that request's own 4xx response.

    Args:
        folder: what ``automm-deploy export`` wrote.
        device: "cpu", "cuda" or "tensorrt" (onnxruntime's execution providers).
        threads: onnxruntime intra-op threads per worker.
        **options: LitAPI's, e.g. ``max_batch_size`` and ``batch_timeout``.
    """

    def __init__(self, folder: str | Path, device: str = "cpu", threads: int | None = None, **options: Any):
        super().__init__(**options)
        self.folder, self.runtime_device, self.threads = str(folder), device, threads

    def setup(self, device: str) -> None:
        """Load the model in this worker, refusing image paths (images must come as base64)."""
        self.model = load(self.folder, device=self.runtime_device, threads=self.threads, allow_paths=False)
        self.kinds = {column: self.model.manifest.columns.get(column, "") for column in self.model.columns}

    def decode_request(self, request: PredictRequest) -> Rows | Rejection:
        """The rows' feature columns, or a 422 naming the first row and column that cannot be used."""
        try:
            _check_rows(request.rows, self.kinds)
        except InputError as err:
            return Rejection(str(err))
        return [{column: row[column] for column in self.kinds} for row in request.rows]

    def predict(self, batch: Any) -> Any:
        """One answer per decoded request (LitServe passes a list of them when it batches, else just one)."""
        requests = batch if self.max_batch_size > 1 else [batch]
        answers = self._answer_all(requests)
        return answers if self.max_batch_size > 1 else answers[0]

    def encode_response(self, output: dict[str, Any] | Rejection) -> JSONResponse:
        """The answer as JSON, or the rejection as 422 with ``{"detail": message}``."""
        if isinstance(output, Rejection):
            return JSONResponse({"detail": output.detail}, status_code=422)
        return JSONResponse(output)

    def _answer_all(self, requests: list[Rows | Rejection]) -> list[dict[str, Any] | Rejection]:
        """Answers in request order: all usable rows in one model call; when the model refuses them (an image
        that does not decode), each request alone, so one bad request cannot fail the others of its batch."""
        usable = [rows for rows in requests if not isinstance(rows, Rejection)]
        try:
            answers = iter(self._answers(usable) if usable else [])
        except InputError:
            answers = iter([self._answer_alone(rows) for rows in usable])
        return [rows if isinstance(rows, Rejection) else next(answers) for rows in requests]

    def _answer_alone(self, rows: Rows) -> dict[str, Any] | Rejection:
        try:
            return self._answers([rows])[0]
        except InputError as err:
            return Rejection(str(err))

    def _answers(self, requests: list[Rows]) -> list[dict[str, Any]]:
        """The answers of several requests from one run of the network over all their rows."""
        frame = pd.DataFrame([row for rows in requests for row in rows], columns=list(self.kinds))
        predictions, proba = self.model.predict_with_proba(frame)
        bounds = np.cumsum([0, *(len(rows) for rows in requests)])
        return [_answer(predictions.iloc[start:end], None if proba is None else proba.iloc[start:end])
                for start, end in zip(bounds[:-1], bounds[1:])]


def _answer(predictions: pd.Series | pd.DataFrame, proba: pd.DataFrame | None) -> dict[str, Any]:
    """The JSON answer of one request: predictions, and probabilities with their classes when there are any."""
    body: dict[str, Any] = {"predictions": _json_values(predictions)}
    if isinstance(predictions, pd.DataFrame):
        body["columns"] = [_json_value(column) for column in predictions.columns]
    if proba is not None:
        body["probabilities"] = _json_values(proba)
        body["classes"] = [_json_value(column) for column in proba.columns]
    return body


def _json_values(values: pd.Series | pd.DataFrame) -> list[Any]:
    """A Series as a list, a DataFrame as a list of row lists, of JSON-native values."""
    array = values.to_numpy(dtype=object)
    if array.ndim == 1:
        return [_json_value(value) for value in array]
    return [[_json_value(value) for value in row] for row in array]


def _json_value(value: Any) -> Any:
    """A numpy scalar as the Python value; NaN and infinity as null (JSON has neither)."""
    if isinstance(value, np.generic):
        value = value.item()
    return None if isinstance(value, float) and not math.isfinite(value) else value


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


async def _invalid_body(request: Request, error: RequestValidationError) -> JSONResponse:
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


def _threads_per_worker(workers: int) -> int:
    """onnxruntime threads for each of ``workers`` processes: the usable CPUs shared out, 1 to 8."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(8, cpus // workers))


def build_server(folder: str | Path, max_batch_size: int = 32, batch_timeout: float = 0.01, workers: int = 1,
                 max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, device: str = "cpu") -> ls.LitServer:
    """The LitServer of ``folder``, not started (``serve`` runs it; ``.app`` is its FastAPI app).

    Raises:
        DeployError: the runtime cannot load ``folder``, or ``device`` / ``max_body_bytes`` is invalid.
    """
    # Load once here, so a folder the runtime refuses is a DeployError before LitServe starts any process (one
    # thread: onnxruntime leaves nothing running in this process when LitServe forks its HTTP servers).
    manifest = load(folder, threads=1, allow_paths=False).manifest
    if device not in PROVIDERS:
        raise DeployError(f"device must be one of {sorted(PROVIDERS)}, got {device!r}.")
    if max_body_bytes < 1:
        raise DeployError(f"max_body_bytes must be at least 1, got {max_body_bytes}.")
    api = ExportAPI(folder, device, _threads_per_worker(workers), max_batch_size=max_batch_size,
                    batch_timeout=batch_timeout)
    # LitServe's accelerator only names what setup() receives; onnxruntime's providers pick the hardware.
    server = ls.LitServer(api, accelerator="cpu", workers_per_device=workers,
                          middlewares=[(BodySizeLimit, {"max_bytes": max_body_bytes})],
                          model_metadata={"problem_type": manifest.problem_type, "columns": manifest.columns,
                                          "labels": manifest.label_columns})
    server.app.add_exception_handler(RequestValidationError, _invalid_body)
    return server


def serve(folder: str | Path, host: str = "127.0.0.1", port: int = 8080, max_batch_size: int = 32,
          batch_timeout: float = 0.01, workers: int = 1, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
          device: str = "cpu") -> None:
    """Serve ``folder`` on ``host:port`` until Ctrl+C or SIGTERM, which stop the workers too.

    Example:
        >>> serve("my_predictor.onnx/", port=8080, max_batch_size=32, workers=2)
    """
    server = build_server(folder, max_batch_size, batch_timeout, workers, max_body_bytes, device)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop_like_ctrl_c(os.getpid()))
    server.run(host=host, port=port, generate_client_file=False)


def _stop_like_ctrl_c(server_pid: int) -> Callable[[int, Any], None]:
    """A SIGTERM handler: LitServe stops its workers on KeyboardInterrupt only, so in the server process SIGTERM
    raises one (once: a second SIGTERM must not cut the shutdown short); the processes LitServe forks inherit the
    handler and keep the default action."""

    def handle(signum: int, frame: Any) -> None:
        if os.getpid() != server_pid:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        signal.signal(signum, signal.SIG_IGN)
        raise KeyboardInterrupt(f"signal {signum}")

    return handle
