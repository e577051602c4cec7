"""Serve an export folder on Ray Serve (``pip install "automm-deploy[ray]"``), for more replicas than one machine holds.

The HTTP API is the LitServe server's (``automm.deploy.http_api``), under the application's route prefix (``/`` unless
``route_prefix`` says otherwise): ``POST /predict`` takes ``{"rows": [{column: value, ...}, ...]}`` and answers
``{"predictions": [...], "probabilities": [[...], ...], "classes": [...]}`` (``"columns"`` too for multi-column
predictions; masks as base64 PNGs, boxes as lists of ``{"class", "score", "bbox"}``: see ``http_api``); a bad
request is answered 4xx with ``{"detail": ...}``; ``GET /health`` answers ``ok``. Images travel
as base64: replicas never read a path. Each replica loads the folder once, so the folder must be readable at the
same path on every node that runs a replica. Ray places the replicas; ``@serve.batch`` joins concurrent requests'
rows into one runtime call.

Example:
    >>> from automm.deploy.ray_serve import run
    >>> run("my_predictor.onnx/", port=8000, num_replicas=4)  # a local Ray; address="auto" joins a running cluster

    Or deploy it on a cluster yourself, and keep it there after this script ends:

    >>> from ray import serve
    >>> from automm.deploy.ray_serve import deployment
    >>> serve.run(deployment("/shared/my_predictor.onnx", num_replicas=8), name="automm-deploy")
"""

# No ``from __future__ import annotations``: FastAPI reads the route's body model from its annotation.

import asyncio
import os
import signal
import threading
from pathlib import Path
from typing import Any

from .errors import DeployError
from .manifest import Manifest
from .runtime import PROVIDERS

try:
    import ray
    from fastapi import FastAPI
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, PlainTextResponse
    from ray import serve
    from ray.serve import Application
except ImportError as err:
    raise DeployError(f'Serving on Ray needs Ray Serve ({err.name} is missing): pip install "automm-deploy[ray]".'
                      ) from None

# The request model, checks, batching and answers of both servers.
from .http_api import DEFAULT_MAX_BODY_BYTES, BodySizeLimit, PredictRequest, Rejection, Rows, RowService, invalid_body

APP_NAME = "automm-deploy"
Answer = dict[str, Any] | Rejection

app = FastAPI(title="automm-deploy")
app.add_middleware(BodySizeLimit, max_bytes=DEFAULT_MAX_BODY_BYTES)
app.add_exception_handler(RequestValidationError, invalid_body)


# Defined before the class: Ray pickles the class by value, with the globals its methods name at that time.
def _replica_threads() -> int | None:
    """onnxruntime threads of this replica: the CPUs Ray reserved for it (None: onnxruntime's default)."""
    cpus = ray.get_runtime_context().get_assigned_resources().get("CPU", 0)
    return max(1, int(cpus)) if cpus else None


@serve.deployment(name="ExportDeployment")
@serve.ingress(app)
class ExportDeployment:
    """One replica: the export folder loaded once (image paths refused), requests batched by ``@serve.batch``.

    Bad rows are refused before a request joins a batch, and a batch whose images do not decode is answered
    request by request, so one bad request never fails the others of its batch.
    """

    def __init__(self, folder: str, max_batch_size: int, batch_wait_timeout_s: float, device: str = "cpu"):
        self.service = RowService(folder, device, _replica_threads())
        self.predict_batch.set_max_batch_size(max_batch_size)
        self.predict_batch.set_batch_wait_timeout_s(batch_wait_timeout_s)

    @app.post("/predict")
    async def predict(self, request: PredictRequest) -> JSONResponse:
        """The answer to one request, computed in a batch with the other requests waiting on this replica."""
        rows = self.service.decode(request)
        answer = rows if isinstance(rows, Rejection) else await self.predict_batch(rows)
        return self.service.encode(answer)

    @app.get("/health")
    async def health(self) -> PlainTextResponse:
        return PlainTextResponse("ok")

    @serve.batch
    async def predict_batch(self, requests: list[Rows]) -> list[Answer]:
        """One answer per request, from one runtime call over all their rows (in a thread: the replica keeps
        taking requests for the next batch meanwhile)."""
        return await asyncio.to_thread(self.service.answer_all, requests)


def deployment(folder: str | Path, num_replicas: int | str = 1, max_batch_size: int = 32,
               batch_wait_timeout_s: float = 0.01, ray_actor_options: dict[str, Any] | None = None,
               device: str = "cpu") -> Application:
    """The Ray Serve application of ``folder``, not deployed: pass it to ``serve.run``.

    Args:
        folder: what ``automm-deploy export`` wrote, at the same path on every node that runs a replica.
        num_replicas: replicas (processes, one model each) that Ray places on the cluster; "auto" autoscales.
        max_batch_size: most requests one runtime call answers; ``batch_wait_timeout_s``: longest wait for them.
        ray_actor_options: each replica's resources, e.g. ``{"num_cpus": 2}`` (onnxruntime runs that many threads)
            or ``{"num_gpus": 1}`` with ``device="cuda"``; Ray Serve's default reserves one CPU.
        device: "cpu", "cuda" or "tensorrt" (onnxruntime's execution providers).

    Raises:
        DeployError: an invalid batch size, wait or device.
    """
    _check_options(max_batch_size, batch_wait_timeout_s, device)
    options = ExportDeployment.options(num_replicas=num_replicas, ray_actor_options=ray_actor_options,
                                       max_ongoing_requests=2 * max_batch_size)  # one batch running, one filling
    return options.bind(os.path.abspath(folder), max_batch_size, batch_wait_timeout_s, device)


def _check_options(max_batch_size: int, batch_wait_timeout_s: float, device: str) -> None:
    if max_batch_size < 1:
        raise DeployError(f"max_batch_size must be at least 1, got {max_batch_size}.")
    if batch_wait_timeout_s < 0:
        raise DeployError(f"batch_wait_timeout_s must be 0 or more, got {batch_wait_timeout_s}.")
    if device not in PROVIDERS:
        raise DeployError(f"device must be one of {sorted(PROVIDERS)}, got {device!r}.")


def start(folder: str | Path, address: str | None = None, host: str = "127.0.0.1", port: int = 8000,
          route_prefix: str = "/", name: str = APP_NAME, **options: Any) -> None:
    """Deploy ``folder`` and return once its replicas are up (``run`` also waits and stops).

    Joins the Ray cluster at ``address`` ("auto", "ray://head:10001", ...) when given, else the one this process
    already joined, else starts a local one. ``host`` and ``port`` are Ray Serve's HTTP proxies' (they cannot
    change while Serve runs on the cluster). ``options`` are ``deployment``'s.

    Raises:
        DeployError: ``folder`` holds no export (checked here on a local cluster only), or invalid ``options``.
    """
    if address is None and not ray.is_initialized():
        Manifest.read(Path(folder))  # a missing or damaged folder, before any replica tries it
    application = deployment(folder, **options)
    if address is not None or not ray.is_initialized():
        ray.init(address=address)
    serve.start(http_options={"host": host, "port": port})
    serve.run(application, name=name, route_prefix=route_prefix)


def run(folder: str | Path, address: str | None = None, host: str = "127.0.0.1", port: int = 8000,
        route_prefix: str = "/", name: str = APP_NAME, **options: Any) -> None:
    """Serve ``folder`` on Ray until Ctrl+C or SIGTERM, then remove the application (and a local Ray it started).

    Example:
        >>> run("my_predictor.onnx/", address="auto", port=8000, num_replicas=4, max_batch_size=32)
    """
    local = address is None and not ray.is_initialized()
    start(folder, address, host, port, route_prefix, name, **options)
    try:
        _wait_for_stop()
    finally:
        _stop(name, local)


def _wait_for_stop() -> None:
    """Block until Ctrl+C, or SIGTERM (in the main thread, which alone receives signals)."""
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt) if main else None
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        if main and previous is not None:  # None: a handler not set from Python, which cannot be put back
            signal.signal(signal.SIGTERM, previous)


def _raise_keyboard_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _stop(name: str, local: bool) -> None:
    """Remove the application; a local Ray that ``run`` started goes with Serve, a cluster keeps running."""
    if local:
        serve.shutdown()
        ray.shutdown()
    else:
        serve.delete(name)
