"""The multimodal export on Ray Serve (a local Ray, two replicas, ``@serve.batch``) answers as the in-process
runtime, also under concurrent requests, and a bad request gets its own 4xx without failing the others."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.slow
ray = pytest.importorskip("ray")

from ray import serve  # noqa: E402

from automm.deploy import ExportedPredictor, load  # noqa: E402
from automm.deploy.ray_serve import start  # noqa: E402
from automm.deploy.testing import JSON, body_of, call, free_port, request_rows  # noqa: E402

from .conftest import CASES  # noqa: E402
from .test_serve import GOOD_ROW  # noqa: E402

FEATURES = CASES["multimodal"][0]
CONCURRENT = 20


@pytest.fixture(scope="module")
def port(exported: dict[str, Path]) -> Iterator[int]:
    """The HTTP port of the multimodal export deployed with two replicas on a local two-CPU Ray."""
    ray.init(num_cpus=2, include_dashboard=False)
    try:
        port = free_port()
        start(exported["multimodal"], port=port, num_replicas=2, max_batch_size=8, batch_wait_timeout_s=0.05)
        yield port
    finally:
        serve.shutdown()
        ray.shutdown()


@pytest.fixture(scope="module")
def model(exported: dict[str, Path]) -> ExportedPredictor:
    return load(exported["multimodal"])


def assert_same_answer(found: dict[str, Any], model: ExportedPredictor, frame: pd.DataFrame) -> None:
    """``found`` (the deployment's JSON) has the runtime's labels and, within 1e-6, its probabilities."""
    predictions, proba = model.predict_with_proba(frame)
    assert set(found) == {"predictions", "probabilities", "classes"}
    assert found["predictions"] == predictions.tolist()
    assert found["classes"] == list(proba.columns)
    np.testing.assert_allclose(np.asarray(found["probabilities"]), proba.to_numpy(), atol=1e-6, rtol=0)


def test_answers_equal_the_runtime(port: int, model: ExportedPredictor, table: pd.DataFrame) -> None:
    frame = table[FEATURES].iloc[100:]
    assert frame["image"].isna().any() and frame["image"].notna().any()
    assert call(port, "GET", "/health") == (200, "ok")
    status, found = call(port, "POST", "/predict", body_of(request_rows(frame)), JSON)
    assert status == 200, found
    assert_same_answer(found, model, frame)


def test_concurrent_requests_are_batched_and_answered_like_the_runtime(port: int, model: ExportedPredictor,
                                                                        table: pd.DataFrame) -> None:
    frames = [table[FEATURES].iloc[100 + 2 * n:102 + 2 * n] for n in range(CONCURRENT)]
    with ThreadPoolExecutor(CONCURRENT) as pool:
        answers = list(pool.map(lambda frame: call(port, "POST", "/predict", body_of(request_rows(frame)), JSON),
                                frames))
    for frame, (status, found) in zip(frames, answers, strict=True):
        assert status == 200, found
        assert_same_answer(found, model, frame)


def test_a_bad_request_fails_alone(port: int, model: ExportedPredictor, table: pd.DataFrame) -> None:
    """A missing column is refused before batching; an image that does not decode fails only its own request."""
    not_an_image = base64.b64encode(b"hello").decode()
    good = request_rows(table[FEATURES].iloc[100:102])
    bodies = [body_of([GOOD_ROW, {"caption": "x"}]), body_of([dict(GOOD_ROW, image=not_an_image)])]
    bodies += [body_of(good)] * 8
    with ThreadPoolExecutor(len(bodies)) as pool:
        answers = list(pool.map(lambda body: call(port, "POST", "/predict", body, JSON), bodies))
    assert [status for status, _ in answers] == [422, 422] + [200] * 8, answers[:2]
    assert "Row 1 lacks feature column(s)" in answers[0][1]["detail"]
    assert "base64-encoded image" in answers[1][1]["detail"]
    for _, found in answers[2:]:
        assert_same_answer(found, model, table[FEATURES].iloc[100:102])
