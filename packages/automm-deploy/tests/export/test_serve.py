"""``automm-deploy serve`` (the real LitServe server on loopback) answers as the in-process runtime, refuses bad
requests with 4xx JSON and keeps serving, also under load; the CLI exports, predicts, and fails in one line."""

from __future__ import annotations

import asyncio
import base64
import http.client
import inspect
import io
import json
import os
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from automm.deploy import load
from automm.deploy.cli import build_parser, main
from automm.deploy.serve import ExportAPI, PredictRequest, build_server, serve
from automm.deploy.testing import JSON, body_of, call, request_rows, serving

from .conftest import CASES

FEATURES = CASES["multimodal"][0]
MAX_BODY_BYTES = 256 * 1024  # the test server's limit: small, so an oversize body is cheap to send
LOAD_REQUESTS, LOAD_CLIENTS = 200, 50
GOOD_ROW = {"image": None, "caption": "the red cat", "ink": 30.0, "colour": "red"}
BATCHING = ("max_batch_size", "batch_timeout", "workers", "request_timeout")


def batching_defaults() -> dict[str, Any]:
    """``serve``'s default batching settings (benchmarks/serving.py chose them)."""
    parameters = inspect.signature(serve).parameters
    return {name: parameters[name].default for name in BATCHING}


def call_with_length(port: int, length: int) -> tuple[int, Any]:
    """A POST that declares a body of ``length`` bytes and sends none (the server must not wait for it)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.putrequest("POST", "/predict")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(length))
        connection.endheaders()
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def assert_same_answer(found: dict[str, Any], model: Any, frame: pd.DataFrame) -> None:
    """``found`` (the server's JSON) has the runtime's labels and, within 1e-6, its probabilities."""
    assert found["predictions"] == model.predict(frame).tolist()
    proba = model.predict_proba(frame)
    assert found["classes"] == list(proba.columns)
    np.testing.assert_allclose(np.asarray(found["probabilities"]), proba.to_numpy(), atol=1e-6, rtol=0)


@pytest.fixture(scope="module")
def server(exported: dict[str, Path]) -> Iterator[int]:
    """The port of ``automm-deploy serve`` on the multimodal export (default batching), in its own process group."""
    with serving(exported["multimodal"], "--max-body-mb", str(MAX_BODY_BYTES / 2**20)) as port:
        yield port


def test_served_answers_equal_the_runtime(server: int, exported: dict, table: pd.DataFrame) -> None:
    frame = table[FEATURES].iloc[100:]
    assert call(server, "GET", "/health") == (200, "ok")
    status, found = call(server, "POST", "/predict", body_of(request_rows(frame)), JSON)
    assert status == 200, found
    assert set(found) == {"predictions", "probabilities", "classes"}
    assert_same_answer(found, load(exported["multimodal"]), frame)


def test_bad_requests_get_4xx_json_and_the_server_keeps_serving(server: int, table: pd.DataFrame) -> None:
    image_path = table["image"].dropna().iloc[0]
    not_an_image = base64.b64encode(b"hello").decode()
    bad = {  # name -> (body, headers, status, words in the detail)
        "malformed JSON": (b'{"rows": [', JSON, 400, "not valid JSON"),
        "body not an object": (b"[1, 2]", JSON, 422, '{"rows"'),
        "no rows": (b"{}", JSON, 422, "rows: Field required"),
        "rows not a list": (b'{"rows": "x"}', JSON, 422, "rows"),
        "empty rows": (body_of([]), JSON, 422, "at least 1"),
        "a row not an object": (body_of([GOOD_ROW, 3]), JSON, 422, "rows.1"),
        "missing columns": (body_of([GOOD_ROW, {"caption": "x"}]), JSON, 422, "Row 1 lacks feature column(s) ['ink'"),
        "an object for a number": (body_of([dict(GOOD_ROW, ink={"a": 1})]), JSON, 422, "Row 0, column 'ink'"),
        "a list for text": (body_of([GOOD_ROW, dict(GOOD_ROW, caption=[1])]), JSON, 422, "Row 1, column 'caption'"),
        "bad base64": (body_of([dict(GOOD_ROW, image="not base64!!")]), JSON, 422, "Column 'image', row 0"),
        "base64 of no image": (body_of([dict(GOOD_ROW, image=not_an_image)]), JSON, 422, "base64-encoded image"),
        "a file path": (body_of([dict(GOOD_ROW, image=image_path)]), JSON, 422, "file paths are not read"),
        "not sent as JSON": (body_of([GOOD_ROW]), {"Content-Type": "text/plain"}, 415, "application/json"),
        "chunked and too large": (iter([b" " * 2**16] * 5), JSON, 413, f"at most {MAX_BODY_BYTES}"),
    }
    for name, (body, headers, status, words) in bad.items():
        found = call(server, "POST", "/predict", body, headers)
        assert found[0] == status and words in found[1]["detail"], (name, found)
        assert call(server, "POST", "/predict", body_of([GOOD_ROW]), JSON)[0] == 200, f"after {name}"
    status, found = call_with_length(server, MAX_BODY_BYTES + 1)
    assert status == 413 and f"at most {MAX_BODY_BYTES}" in found["detail"]
    # A bad request among good ones sent together: only it fails, even when LitServe batches them.
    bodies = [body_of([dict(GOOD_ROW, image=not_an_image)])] + [body_of([GOOD_ROW])] * 7
    with ThreadPoolExecutor(len(bodies)) as pool:
        statuses = [status for status, _ in pool.map(lambda body: call(server, "POST", "/predict", body, JSON), bodies)]
    assert statuses == [422] + [200] * 7
    assert call(server, "GET", "/health")[0] == 200


def test_a_bad_request_does_not_fail_its_batch(exported: dict, table: pd.DataFrame) -> None:
    """What LitServe's batching loop does with a batch: decode each request, predict all, encode each."""
    api = ExportAPI(exported["multimodal"], max_batch_size=8)
    api.setup("cpu")
    frame = table[FEATURES].iloc[100:103]
    good = request_rows(frame)
    requests = [good, [dict(good[0], image=base64.b64encode(b"hello").decode())], good, [dict(good[0], ink=[1])]]
    responses = [api.encode_response(answer)
                 for answer in api.predict([api.decode_request(PredictRequest(rows=rows)) for rows in requests])]
    assert [response.status_code for response in responses] == [200, 422, 200, 422]
    for response in (responses[0], responses[2]):
        assert_same_answer(json.loads(response.body), load(exported["multimodal"]), frame)


@pytest.mark.parametrize("name", ["tabular", "multilabel"])
def test_answers_of_regression_and_multilabel(name: str, exported: dict, table: pd.DataFrame) -> None:
    api = ExportAPI(exported[name], max_batch_size=1)
    api.setup("cpu")
    frame = table[CASES[name][0]].iloc[100:104]
    found = json.loads(api.encode_response(api.predict(api.decode_request(PredictRequest(rows=request_rows(frame)))))
                       .body)
    model = load(exported[name])
    expected = model.predict(frame)
    if name == "tabular":  # regression: values, no probabilities
        assert set(found) == {"predictions"}
        np.testing.assert_allclose(found["predictions"], expected.to_numpy(), rtol=1e-6)
    else:  # one list per row, in the order of "columns"
        assert found["columns"] == list(expected.columns) and found["predictions"] == expected.to_numpy().tolist()
        assert found["classes"] == list(model.predict_proba(frame).columns)
        np.testing.assert_allclose(found["probabilities"], model.predict_proba(frame).to_numpy(), atol=1e-6, rtol=0)


def test_load(server: int, exported: dict, table: pd.DataFrame, capsys: pytest.CaptureFixture) -> None:
    """LOAD_CLIENTS concurrent clients send LOAD_REQUESTS requests of 1-3 rows; every answer is the runtime's."""
    model = load(exported["multimodal"])
    frame = table[FEATURES].iloc[100:].reset_index(drop=True)
    rows = request_rows(frame)
    plans = [((7 * i) % (len(frame) - 2), 1 + i % 3) for i in range(LOAD_REQUESTS)]  # (first row, rows)
    expected = {(start, size): frame.iloc[start : start + size] for start, size in set(plans)}

    def send(plan: tuple[int, int]) -> tuple[int, Any, float]:
        started = time.perf_counter()
        status, found = call(server, "POST", "/predict", body_of(rows[plan[0] : plan[0] + plan[1]]), JSON)
        return status, found, time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(LOAD_CLIENTS) as pool:
        results = list(pool.map(send, plans))
    elapsed = time.perf_counter() - started
    for plan, (status, found, _) in zip(plans, results):
        assert status == 200, found
        assert_same_answer(found, model, expected[plan])
    latencies_ms = np.array([seconds for _, _, seconds in results]) * 1000
    defaults = batching_defaults()
    stats = {"requests": LOAD_REQUESTS, "clients": LOAD_CLIENTS, "rows": sum(size for _, size in plans),
             "p50_ms": round(float(np.percentile(latencies_ms, 50)), 1),
             "p99_ms": round(float(np.percentile(latencies_ms, 99)), 1),
             "requests_per_s": round(LOAD_REQUESTS / elapsed, 1), "max_batch_size": defaults["max_batch_size"],
             "batch_timeout_s": defaults["batch_timeout"], "workers": defaults["workers"], "cpus": os.cpu_count()}
    with capsys.disabled():
        print(f"\nautomm-deploy serve load test: {json.dumps(stats)}")
    if os.environ.get("AUTOMM_DEPLOY_LOADTEST_OUT"):
        Path(os.environ["AUTOMM_DEPLOY_LOADTEST_OUT"]).write_text(json.dumps(stats, indent=2))


def test_the_batching_defaults_are_one_set() -> None:
    """The CLI, ``serve`` and ``build_server`` default to the same batching (the one benchmarks/serving.py chose)."""
    cli = build_parser().parse_args(["serve", "export"])
    server = inspect.signature(build_server).parameters
    assert {name: getattr(cli, name) for name in BATCHING} == batching_defaults()
    assert {name: server[name].default for name in BATCHING} == batching_defaults()


def test_a_request_that_waits_too_long_gets_504_saying_what_to_do(exported: dict) -> None:
    """LitServe answers 504 to a request that waited over ``request_timeout`` for a worker: the detail says why and
    what to change; other HTTP errors keep FastAPI's answers."""
    from fastapi import HTTPException, Request
    from starlette.exceptions import HTTPException as AnyHTTPException

    server = build_server(exported["tabular"], request_timeout=120)
    assert server.lit_api.request_timeout == 120
    request = Request({"type": "http", "method": "POST", "path": "/predict", "headers": []})
    handle = server.app.exception_handlers[AnyHTTPException]  # what the server answers LitServe's errors with
    waited = asyncio.run(handle(request, HTTPException(504, "Request timed out")))
    assert waited.status_code == 504
    detail = json.loads(waited.body)["detail"]
    assert "waited more than 120 s" in detail and "--workers" in detail and "--request-timeout" in detail
    other = asyncio.run(handle(request, HTTPException(404, "Not Found")))
    assert other.status_code == 404 and json.loads(other.body) == {"detail": "Not Found"}


@pytest.mark.gpu
def test_served_on_cuda_answers_as_on_the_cpu(exported: dict, table: pd.DataFrame) -> None:
    import onnxruntime

    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        pytest.skip("CUDAExecutionProvider is not in this onnxruntime: pip install onnxruntime-gpu")
    frame = table[FEATURES].iloc[100:]
    with serving(exported["multimodal"], "--device", "cuda") as port:
        status, found = call(port, "POST", "/predict", body_of(request_rows(frame)), JSON)
    assert status == 200, found
    model = load(exported["multimodal"])
    assert found["predictions"] == model.predict(frame).tolist()
    np.testing.assert_allclose(found["probabilities"], model.predict_proba(frame).to_numpy(), atol=1e-3, rtol=0)


def test_cli_predict_equals_the_runtime(exported: dict, table: pd.DataFrame, tmp_path: Path,
                                        capsys: pytest.CaptureFixture) -> None:
    folder, frame = str(exported["multimodal"]), table[FEATURES].iloc[100:]
    frame.to_csv(tmp_path / "rows.csv", index=False)
    frame.astype({"colour": "string"}).to_parquet(tmp_path / "rows.parquet")  # parquet wants one type a column
    model = load(folder)
    for rows in ("rows.csv", "rows.parquet"):
        expected = model.predict(tmp_path / rows)
        assert main(["predict", folder, str(tmp_path / rows), "--output", str(tmp_path / "out.csv")]) == 0
        assert pd.read_csv(tmp_path / "out.csv")[expected.name].tolist() == expected.tolist()
    assert main(["predict", folder, str(tmp_path / "rows.csv"), "--proba"]) == 0
    found = pd.read_csv(io.StringIO(capsys.readouterr().out))
    expected_proba = model.predict_proba(tmp_path / "rows.csv")
    assert list(found.columns) == [str(c) for c in expected_proba.columns]
    np.testing.assert_allclose(found.to_numpy(), expected_proba.to_numpy(), atol=1e-6, rtol=0)


def test_cli_export_writes_a_loadable_export(fitted: dict, exported: dict, table: pd.DataFrame, tmp_path: Path,
                                             capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "text.onnx"
    assert main(["export", str(fitted["text"].path), str(out), "--opset", "17"]) == 0
    assert str(out) in capsys.readouterr().out
    frame = table[CASES["text"][0]].iloc[100:]
    assert load(out).predict(frame).tolist() == load(exported["text"]).predict(frame).tolist()


def test_cli_errors_are_one_line_with_exit_status_2(exported: dict, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture) -> None:
    rows = tmp_path / "rows.csv"
    pd.DataFrame({"ink": [1.0], "colour": ["red"]}).to_csv(rows, index=False)
    nowhere, tabular = str(tmp_path / "nowhere"), str(exported["tabular"])
    cases = {  # name -> (arguments, words in the message)
        "predict with no export": (["predict", nowhere, str(rows)], "No exported model"),
        "predict no table": (["predict", tabular, str(tmp_path / "none.csv")], "No table"),
        "probabilities of a regression": (["predict", tabular, str(rows), "--proba"], "predict()"),
        "serve no export": (["serve", nowhere], "No exported model"),
        "serve request timeout within the batch timeout": (["serve", tabular, "--request-timeout", "0.005"],
                                                           "must be longer than batch_timeout"),
        "export no predictor": (["export", nowhere, str(tmp_path / "out")], "No saved predictor"),
    }
    for name, (argv, words) in cases.items():
        with pytest.raises(SystemExit) as exited:
            main(argv)
        message = capsys.readouterr().err
        assert exited.value.code == 2 and words in message, (name, message)
        assert message.startswith("automm-deploy: error: ") and message.count("\n") == 1, (name, message)
    with pytest.raises(SystemExit) as exited:  # argparse's own errors: its usage line, then the error
        main(["serve", tabular, "--port", "80"])
    assert exited.value.code == 2 and "out of range" in capsys.readouterr().err


def test_serve_without_litserve_says_what_to_install(exported: dict, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setitem(sys.modules, "litserve", None)  # as if it were not installed
    monkeypatch.delitem(sys.modules, "automm.deploy.serve")
    with pytest.raises(SystemExit) as exited:
        main(["serve", str(exported["multimodal"])])
    assert exited.value.code == 2 and 'pip install "automm-deploy[serve]"' in capsys.readouterr().err
