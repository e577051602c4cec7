"""Serve an export folder over HTTP with LitServe (``pip install "automm-deploy[serve]"``).

The HTTP API (``POST /predict``, its answers and errors) is ``http_api``'s. Concurrent requests are batched by
LitServe (``max_batch_size``, ``batch_timeout``) over ``workers`` model processes; ``GET /health`` is LitServe's.
The defaults (32 requests, 0.01 s, 2 workers) are benchmarks/serving.py's choice: a second worker overlaps one
batch's preprocessing with another's graph run (image 1.6-2.4x the requests/s of one worker on 2 cores, p99 no
worse); the batch size and timeout changed nothing consistently under 50 clients.

Example:
    $ automm-deploy serve my_predictor.onnx/ --port 8080
    $ curl -s localhost:8080/predict -H 'Content-Type: application/json' \\
        -d '{"rows": [{"caption": "the red cat", "ink": 31.5, "colour": "red", "image": null}]}'
    {"predictions":["high"],"probabilities":[[0.61,0.39]],"classes":["high","low"]}
"""

# No ``from __future__ import annotations``: LitServe hands ``decode_request``'s annotation to FastAPI as the body
# model, and FastAPI cannot resolve a string annotation from LitServe's module.

import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import DeployError
from .http_api import (
    DEFAULT_MAX_BODY_BYTES,
    BodySizeLimit,
    PredictRequest,
    Rejection,
    Rows,
    RowService,
    invalid_body,
)
from .runtime import PROVIDERS, load, usable_cpus

try:
    import litserve as ls
    from fastapi import Request
    from fastapi.exception_handlers import http_exception_handler
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, Response
    from starlette.exceptions import HTTPException
except ImportError as err:
    raise DeployError(f'Serving needs LitServe ({err.name} is missing): pip install "automm-deploy[serve]".') from None


class ExportAPI(ls.LitAPI):
    """LitServe API of one export folder: each worker holds a ``RowService``; LitServe batches the requests.

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
        self.service = RowService(self.folder, self.runtime_device, self.threads)

    def decode_request(self, request: PredictRequest) -> Rows | Rejection:
        return self.service.decode(request)

    def predict(self, batch: Any) -> Any:
        """One answer per decoded request (LitServe passes a list of them when it batches, else just one)."""
        requests = batch if self.max_batch_size > 1 else [batch]
        answers = self.service.answer_all(requests)
        return answers if self.max_batch_size > 1 else answers[0]

    def encode_response(self, output: dict[str, Any] | Rejection) -> JSONResponse:
        return self.service.encode(output)


def _threads_per_worker(workers: int) -> int:
    """onnxruntime threads for each of ``workers`` processes: the usable CPUs shared out, 1 to 8."""
    return max(1, min(8, usable_cpus() // workers))


def build_server(folder: str | Path, max_batch_size: int = 32, batch_timeout: float = 0.01, workers: int = 2,
                 max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, device: str = "cpu",
                 request_timeout: float = 30) -> ls.LitServer:
    """The LitServer of ``folder``, not started (``serve`` runs it; ``.app`` is its FastAPI app). A request that
    waits more than ``request_timeout`` seconds for a worker is answered 504.

    Raises:
        DeployError: the runtime cannot load ``folder``, or ``device`` / ``max_body_bytes`` / ``request_timeout`` is
            invalid.
    """
    # Load once here, so a folder the runtime refuses is a DeployError before LitServe starts any process (one
    # thread: onnxruntime leaves nothing running in this process when LitServe forks its HTTP servers).
    manifest = load(folder, threads=1, allow_paths=False).manifest
    if device not in PROVIDERS:
        raise DeployError(f"device must be one of {sorted(PROVIDERS)}, got {device!r}.")
    if max_body_bytes < 1:
        raise DeployError(f"max_body_bytes must be at least 1, got {max_body_bytes}.")
    if request_timeout <= batch_timeout:
        raise DeployError(f"request_timeout ({request_timeout} s) must be longer than batch_timeout "
                          f"({batch_timeout} s): a request waits up to batch_timeout for its batch.")
    api = ExportAPI(folder, device, _threads_per_worker(workers), max_batch_size=max_batch_size,
                    batch_timeout=batch_timeout)
    # LitServe's accelerator only names what setup() receives; onnxruntime's providers pick the hardware.
    server = ls.LitServer(api, accelerator="cpu", workers_per_device=workers, timeout=request_timeout,
                          middlewares=[(BodySizeLimit, {"max_bytes": max_body_bytes})],
                          model_metadata={"problem_type": manifest.problem_type, "columns": manifest.columns,
                                          "labels": manifest.label_columns})
    server.app.add_exception_handler(RequestValidationError, invalid_body)
    server.app.add_exception_handler(HTTPException, queue_timeout(request_timeout))
    return server


def queue_timeout(request_timeout: float) -> Callable[[Request, HTTPException], Any]:
    """An HTTPException handler: LitServe's 504 for a request that waited too long gets a detail that says why and
    what to do; every other HTTPException is answered as FastAPI answers it."""

    async def handle(request: Request, error: HTTPException) -> Response:
        if error.status_code == 504:
            return JSONResponse({"detail": f"The request waited more than {request_timeout:g} s for a model worker "
                                           "(the server is busier than its workers can answer). Retry later, send "
                                           "fewer concurrent requests, or start the server with more --workers or "
                                           "a longer --request-timeout."}, status_code=504)
        return await http_exception_handler(request, error)

    return handle


def serve(folder: str | Path, host: str = "127.0.0.1", port: int = 8080, max_batch_size: int = 32,
          batch_timeout: float = 0.01, workers: int = 2, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
          device: str = "cpu", request_timeout: float = 30) -> None:
    """Serve ``folder`` on ``host:port`` until Ctrl+C or SIGTERM, which stop the workers too.

    Example:
        >>> serve("my_predictor.onnx/", port=8080, max_batch_size=32, workers=2)
    """
    server = build_server(folder, max_batch_size, batch_timeout, workers, max_body_bytes, device, request_timeout)
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
