"""Helpers for testing a served export end to end (stdlib and the runtime's numpy, pandas and Pillow): start
``automm-deploy serve`` in its own process group, call it, read its mask answers, stop it leaving nothing behind.

Example:
    >>> with serving("my_predictor.onnx/") as port:
    ...     status, answer = call(port, "POST", "/predict", body_of(request_rows(frame)), JSON)
"""

from __future__ import annotations

import base64
import http.client
import io
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

JSON = {"Content-Type": "application/json"}


def request_rows(frame: pd.DataFrame, image_columns: Sequence[str] = ("image",)) -> list[dict[str, Any]]:
    """The rows as JSON objects: image files' bytes as base64, missing values null."""
    rows = []
    for record in frame.to_dict("records"):
        row = {column: None if _missing(value) else value for column, value in record.items()}
        for column in image_columns:
            if row.get(column) is not None:
                row[column] = base64.b64encode(Path(row[column]).read_bytes()).decode("ascii")
        rows.append(row)
    return rows


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def body_of(rows: list[Any]) -> bytes:
    """A ``POST /predict`` body."""
    return json.dumps({"rows": rows}).encode()


def call(port: int, method: str, path: str, body: bytes | Iterable[bytes] | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """Status and body (JSON decoded when it is JSON) of one request to 127.0.0.1:``port`` on a new connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        is_json = (response.getheader("Content-Type") or "").startswith("application/json")
        return response.status, json.loads(data) if is_json else data.decode()
    finally:
        connection.close()


def answer_masks(answer: dict[str, Any]) -> list[np.ndarray]:
    """A segmentation answer's masks as ``[H, W]`` class indices: each PNG's pixels looked up in ``"classes"``.

    Raises:
        ValueError: a mask's size is not its ``height`` / ``width``, or it holds a pixel value no class has.
    """
    classes = answer["classes"]
    colours = classes[0].startswith("#")
    keys = np.asarray([int(name[1:], 16) if colours else int(name) for name in classes])
    masks = []
    for row in answer["predictions"]:
        with Image.open(io.BytesIO(base64.b64decode(row["mask"]))) as image:
            pixels = np.asarray(image.convert("RGB") if colours else image).astype(np.int64)
        if colours:
            pixels = (pixels[..., 0] << 16) | (pixels[..., 1] << 8) | pixels[..., 2]
        index = np.searchsorted(keys, pixels).clip(0, len(keys) - 1)
        if pixels.shape != (row["height"], row["width"]) or (keys[index] != pixels).any():
            raise ValueError(f"A mask of {'x'.join(map(str, pixels.shape))} pixels, answered as {row['height']}x"
                             f"{row['width']}, holds pixel values {np.unique(pixels)[:10].tolist()} for classes "
                             f"{classes}.")
        masks.append(index)
    return masks


def free_port() -> int:
    """A TCP port free on the loopback interface now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(folder: str | Path, *options: str, timeout: float = 120) -> Iterator[int]:
    """``automm-deploy serve folder *options`` on a free loopback port until the block ends; yields the port.

    Raises:
        RuntimeError: the server did not answer /health within ``timeout`` seconds, or processes it started were
            still running 30 s after SIGTERM (they are then killed); the message ends with the server's log.
    """
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="automm-deploy-serve-", suffix=".log")[1])
    command = [sys.executable, "-m", "automm.deploy.cli", "serve", str(folder), "--port", str(port), *options]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while not _healthy(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"serve did not become healthy; log:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield port
    finally:
        _stop(process, log)
        log.unlink(missing_ok=True)


def _healthy(port: int) -> bool:
    try:
        return call(port, "GET", "/health")[0] == 200
    except OSError:
        return False


def _stop(process: subprocess.Popen, log: Path) -> None:
    """SIGTERM the server; it and every process it started must be gone within 30 s (else they are killed)."""
    process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 30
    while (process.poll() is None or _live_members(process.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = _live_members(process.pid)
    if left:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise RuntimeError(f"serve left processes {left} running 30 s after SIGTERM; log:\n{log.read_text()[-3000:]}")


def _live_members(group: int) -> list[int]:
    """The processes of process group ``group`` that are not zombies (Linux /proc)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members
