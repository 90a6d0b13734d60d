"""Hostile and careless input against the service (issue 19): every case answers in the error shape, none 500s.

In-process cases drive the ASGI app directly (an endless body is a ``receive`` that never
ends); the last ones run a real two-worker server on 127.0.0.1 (:func:`serve.runner.run`),
bounded in time.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from demo.hostile import (
    BAD_WEEKS,
    GOOD_WEEKS,
    MALFORMED_SIDECARS,
    NOT_UTF8_BODY,
    SURROGATE_BODIES,
    edit_sidecar,
    invented_methods,
    send_endless_chunked,
)
from serve.app import _reload_quietly, create_app
from serve.settings import Settings
from tests.helpers import free_port, wait_ready
from tests.serve.conftest import ADMIN


def _error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"} and {"code", "message", "details", "request_id"} <= set(body["error"])
    return body["error"]


def _endless_body(app: FastAPI, path: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, dict[str, Any], int]:
    """POST an endless chunked body straight to the ASGI app; the status, the JSON answer and chunks read."""
    chunk = b"x" * 65_536
    read = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        if read > 10_000:  # 640 MiB: the app read it all, the very thing it must not do
            raise AssertionError("the app kept reading the body")
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"test"), (b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "app": app,
    }
    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body), read


@pytest.fixture
def app(bundle_dir: Path) -> FastAPI:
    app = create_app(Settings(model_dir=bundle_dir, prediction_log=None, max_body_bytes=1_048_576))
    app.state.holder.reload()  # driven without the lifespan
    return app


def test_a_chunked_body_over_the_limit_is_refused_as_it_arrives(app: FastAPI) -> None:
    status, body, read = _endless_body(app, "/v1/predict/batch", [(b"transfer-encoding", b"chunked")])
    assert status == 413 and body["error"]["code"] == "payload_too_large"
    assert "at most 1048576 bytes" in body["error"]["message"]
    assert read == 1_048_576 // 65_536 + 1  # refused on the first chunk past the limit


def test_the_token_is_checked_before_the_body_is_read(bundle_dir: Path) -> None:
    settings = Settings(model_dir=bundle_dir, prediction_log=None, api_token="s3cret", admin_token="a")
    app = create_app(settings)
    for path in ("/v1/predict", "/v1/predict/batch", "/v1/admin/reload"):
        status, body, read = _endless_body(app, path, [(b"transfer-encoding", b"chunked")])
        assert (status, body["error"]["code"], read) == (401, "unauthorized", 0), path
    wrong = [(b"authorization", b"Bearer nope")]
    assert _endless_body(app, "/v1/predict", wrong)[::2] == (401, 0)


def test_invented_methods_and_paths_make_no_new_metrics_series(app: FastAPI) -> None:
    def series(client: TestClient) -> set[str]:
        text = client.get("/metrics").text
        return {line.rsplit(" ", 1)[0] for line in text.splitlines() if line.startswith("hotline_requests_total{")}

    with TestClient(app) as client:

        def invent(i: int, method: str) -> None:
            assert client.request(method, "/v1/predict").status_code == 405
            assert client.request(method, f"/nothing/{i}").status_code == 404
            assert client.get(f"/nothing/{i}").status_code == 404

        first, *others = invented_methods(40)
        invent(0, first)
        series(client)  # the first scrape adds its own series
        before = series(client)
        for i, method in enumerate(others, 1):
            invent(i, method)
        after = series(client)
    assert after == before
    assert any('method="other"' in s and 'route="/v1/predict"' in s for s in after)
    assert any('route="unmatched"' in s for s in after) and not any("BREW" in s or "nothing" in s for s in after)


@pytest.mark.parametrize(("body", "field"), SURROGATE_BODIES)
def test_lone_surrogates_are_a_422_naming_the_field(app: FastAPI, body: bytes, field: str) -> None:
    path = "/v1/predict/batch" if b"tickets" in body else "/v1/predict"
    with TestClient(app) as client:
        response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    error = _error(response)
    assert "lone surrogate" in error["message"] and field in [d["field"] for d in error["details"]]


def test_bytes_that_are_not_utf8_are_a_422(app: FastAPI) -> None:
    with TestClient(app) as client:
        response = client.post("/v1/predict", content=NOT_UTF8_BODY, headers={"content-type": "application/json"})
    assert response.status_code == 422 and "expected a UTF-8 JSON body" in _error(response)["message"]


@pytest.mark.parametrize("week", BAD_WEEKS)
def test_impossible_weeks_are_a_422_naming_the_form(bundle_dir: Path, week: str) -> None:
    with TestClient(create_app(Settings(model_dir=bundle_dir, prediction_log=None))) as client:
        for path in (f"/v1/digest/{week}", f"/digest/{week}"):
            response = client.get(path)
            assert response.status_code == 422, path
            assert _error(response)["code"] == "bad_week" and "such as 2022-W13" in _error(response)["message"]
        # a real week gets past the check (to "no ticket store" here); 2020 had 53 weeks
        for good in GOOD_WEEKS:
            assert _error(client.get(f"/v1/digest/{good}"))["code"] == "digests_off"


def _serving_copy(bundle_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "serving"
    shutil.copytree(bundle_dir, target)
    return target


@pytest.mark.parametrize("change", MALFORMED_SIDECARS)
def test_a_malformed_sidecar_is_a_409_and_the_old_model_keeps_serving(
    bundle_dir: Path, tmp_path: Path, change: dict[str, Any]
) -> None:
    serving = _serving_copy(bundle_dir, tmp_path)
    settings = Settings(model_dir=serving, prediction_log=None, admin_token="admin-secret")
    with TestClient(create_app(settings)) as client:
        old = client.get("/readyz").json()["model_version"]
        edit_sidecar(serving, change)
        response = client.post("/v1/admin/reload", headers=ADMIN)
        assert response.status_code == 409, response.text
        error = _error(response)
        assert error["code"] == "reload_refused" and old in error["message"] and str(serving) in error["message"]
        # the changed sidecar is not retried on every request: one refusal, the old model answers
        answers = [client.post("/v1/predict", json={"text": "楼上太吵"}) for _ in range(3)]
        assert {a.status_code for a in answers} == {200} and {a.json()["model_version"] for a in answers} == {old}
        assert 'hotline_model_reloads_total{outcome="refused"} 1.0' in client.get("/metrics").text


def test_a_refused_reload_on_sighup_is_logged_and_counted_not_left_in_a_future(
    bundle_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    serving = _serving_copy(bundle_dir, tmp_path)
    app = create_app(Settings(model_dir=serving, prediction_log=None))
    app.state.holder.reload()
    edit_sidecar(serving, {"versions": None})

    async def sighup() -> None:  # what the SIGHUP handler does: run the reload in the default executor
        await asyncio.get_running_loop().run_in_executor(None, _reload_quietly, app)

    asyncio.run(sighup())  # raises if the future holds an exception
    metrics = app.state.metrics.registry
    assert metrics.get_sample_value("hotline_model_reloads_total", {"outcome": "refused"}) == 1.0
    assert "reload refused" in caplog.text and "versions" not in (app.state.holder.current.meta.get("versions") or {})


def test_head_on_health_and_readiness(app: FastAPI) -> None:
    with TestClient(app) as client:
        assert client.head("/healthz").status_code == 200
        assert client.head("/readyz").status_code == 200


# ---------------------------------------------------------------- a real server, two workers


@pytest.fixture(scope="module")
def server(
    bundle_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    """``serve.runner.run`` with two workers on a free loopback port: the base URL, the master, the bundle dir."""
    tmp = tmp_path_factory.mktemp("served")
    model = _serving_copy(bundle_dir, tmp)
    port = free_port()
    env = {
        **os.environ,
        "HOTLINE_MODEL_DIR": str(model),
        "HOTLINE_ADMIN_TOKEN": "admin-secret",
        "HOTLINE_API_TOKEN": "api-secret",
        "HOTLINE_MAX_BODY_BYTES": "1048576",
        "HOTLINE_PREDICTION_LOG": str(tmp / "p.sqlite3"),
        "HOTLINE_LOG_LEVEL": "warning",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path_factory.mktemp("metrics")),
    }
    code = f"from serve.runner import run; run(host='127.0.0.1', port={port}, workers=2)"
    master = subprocess.Popen([sys.executable, "-c", code], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, 180)
        yield base, master, model
    finally:
        master.terminate()
        master.wait(timeout=60)


API = {"Authorization": "Bearer api-secret"}


def test_over_http_a_chunked_body_is_refused_without_being_read(server: tuple[str, Any, Path]) -> None:
    base = server[0]
    answer, sent = send_endless_chunked(base, "/v1/predict/batch", "Authorization: Bearer api-secret\r\n", chunks=1600)
    assert answer.startswith(b"HTTP/1.1 413") and b"payload_too_large" in answer
    assert sent < 320  # 100 MiB offered; refused after the 1 MiB limit and what the socket buffers held
    answer, sent = send_endless_chunked(base, "/v1/predict", "", chunks=1)  # no token: answered before any body
    assert answer.startswith(b"HTTP/1.1 401")


def test_reload_reaches_every_worker_and_sighup_loses_no_connection(server: tuple[str, Any, Path]) -> None:
    base, master, model = server
    stop = threading.Event()
    answers: list[tuple[float, int, str]] = []  # (sent at, status, model version)
    failures: list[str] = []

    def load() -> None:
        with httpx.Client(timeout=60, headers=API) as client:
            while not stop.is_set():
                sent = time.monotonic()
                try:
                    response = client.post(f"{base}/v1/predict", json={"text": "小区停水三天了"})
                    answers.append((sent, response.status_code, response.json().get("model_version", "")))
                except httpx.TransportError as exc:
                    failures.append(repr(exc))

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1)
        edit_sidecar(model, {"bundle_id": "hotline-next"})
        reloaded = httpx.post(f"{base}/v1/admin/reload", headers=ADMIN, timeout=120)
        returned = time.monotonic()
        assert reloaded.status_code == 200 and reloaded.json()["model_version"] == "hotline-next"
        workers, before = _workers(base), _reloads(base)
        master.send_signal(signal.SIGHUP)  # every worker reloads in place, under load
        # Each worker reloads once for the SIGHUP (a worker that had not followed yet may also follow first).
        _wait(lambda: _reloads(base) >= before + 2, 120)
        time.sleep(1)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
    assert failures == []
    assert answers and {status for _, status, _ in answers} == {200}
    after = [version for sent, _, version in answers if sent > returned]
    assert after and set(after) == {"hotline-next"}  # no worker answered from the old model after the call
    assert len(workers) == 2 and _workers(base) == workers  # no worker was restarted
    assert _serving(base, "hotline-next") == workers  # and both serve the new model
    assert 'hotline_model_reloads_total{outcome="refused"}' not in httpx.get(f"{base}/metrics").text


def _serving(base: str, version: str) -> set[str]:
    """The pids of the workers whose last reload (by SIGHUP or otherwise) loaded ``version``."""
    reloads = re.findall(r'hotline_model_info\{model_version="([^"]+)",pid="(\d+)"\} 1\.0', _metrics(base))
    return {pid for loaded, pid in reloads if loaded == version}


def _workers(base: str) -> set[str]:
    """The pids of the live workers."""
    return set(re.findall(r'hotline_model_info\{model_version="[^"]+",pid="(\d+)"\}', _metrics(base)))


def _metrics(base: str) -> str:
    return httpx.get(f"{base}/metrics", timeout=30).text


def _reloads(base: str) -> float:
    """Successful model loads, added up over the workers."""
    found = re.search(r'^hotline_model_reloads_total\{outcome="ok"\} (\S+)$', _metrics(base), re.MULTILINE)
    return float(found[1]) if found else 0.0


def _wait(condition: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not so after {seconds} s")
        time.sleep(0.3)
