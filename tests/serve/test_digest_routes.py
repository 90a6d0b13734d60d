from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from demo.corpus import generate
from serve.app import create_app
from serve.settings import Settings
from trends.store import TicketStore


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store") / "t.duckdb"
    frame, _ = generate(n=2000, weeks=6, seed=3)
    TicketStore(path).upsert(frame, source="demo")
    return path


def _settings(bundle_dir: Path, store: Path, **overrides: object) -> Settings:
    # Builds take seconds here; the generous wait keeps the answer 200 on a loaded CI machine.
    return Settings(model_dir=bundle_dir, prediction_log=None, store=store, **{"digest_wait_seconds": 300, **overrides})


def test_digest_json_and_html(bundle_dir: Path, store: Path) -> None:
    with TestClient(create_app(_settings(bundle_dir, store))) as client:
        week = "2022-W13"
        body = client.get(f"/v1/digest/{week}").json()
        assert body["week"] == week and body["topics"] and "departments" in body["topics"][0]
        page = client.get(f"/digest/{week}")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html") and "<svg" in page.text
        assert client.get("/v1/digest/2022-13").status_code == 422
        missing = client.get("/v1/digest/2031-W01")
        assert missing.status_code == 404 and "no tickets filed" in missing.json()["error"]["message"]


def test_digests_are_off_without_a_store(bundle_dir: Path) -> None:
    with TestClient(create_app(Settings(model_dir=bundle_dir, prediction_log=None))) as client:
        response = client.get("/v1/digest/2022-W13")
    assert response.status_code == 404 and "HOTLINE_STORE" in response.json()["error"]["message"]


def test_cache_follows_the_store(bundle_dir: Path, store: Path) -> None:
    from serve.digests import DigestCache

    cache = DigestCache(store)
    first = cache.get("2022-W13", None)
    assert cache.get("2022-W13", None) is first
    TicketStore(store).upsert(
        pd.DataFrame({"id": ["extra"], "created_at": [pd.Timestamp("2022-03-30")], "text": ["停水"]}), source="x"
    )
    assert cache.get("2022-W13", None) is not first


class _DyingBuilder:
    """A DigestCache whose building process fails to start, as when it is killed for memory."""

    @staticmethod
    def executor() -> object:
        import multiprocessing
        import sys
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=sys.exit)


def test_a_dead_building_process_is_a_503_and_the_next_request_recovers(bundle_dir: Path, store: Path) -> None:
    from serve.digests import DigestCache

    with TestClient(create_app(_settings(bundle_dir, store))) as client:
        digests: DigestCache = client.app.state.digests  # type: ignore[attr-defined]
        digests._pool = _DyingBuilder.executor()  # type: ignore[assignment]
        failed = client.get("/v1/digest/2022-W12")
        assert failed.status_code == 503 and failed.json()["error"]["code"] == "digest_failed"
        assert client.get("/v1/digest/2022-W12").status_code == 200


def test_digests_are_built_at_lower_priority_in_another_process(store: Path) -> None:
    import os

    from serve.digests import NICENESS, DigestCache

    cache = DigestCache(store)
    try:
        pid, niceness = cache._executor().submit(_pid_and_niceness).result()
    finally:
        cache.close()
    assert pid != os.getpid() and niceness == min(19, os.nice(0) + NICENESS)


def _pid_and_niceness() -> tuple[int, int]:
    import os

    return os.getpid(), os.nice(0)


def test_an_empty_week_is_answered_without_a_building_process(bundle_dir: Path, store: Path) -> None:
    with TestClient(create_app(_settings(bundle_dir, store))) as client:
        missing = client.get("/v1/digest/2031-W01")
        assert missing.status_code == 404 and "no tickets filed in 2031-W01" in missing.json()["error"]["message"]
        assert client.app.state.digests._pool is None  # type: ignore[attr-defined]


def test_a_store_that_is_not_there_is_the_services_fault(bundle_dir: Path, tmp_path: Path) -> None:
    settings = Settings(model_dir=bundle_dir, prediction_log=None, store=tmp_path / "none.duckdb")
    with TestClient(create_app(settings)) as client:
        response = client.get("/v1/digest/2022-W12")
    assert response.status_code == 503 and response.json()["error"]["code"] == "store_missing"
    assert "hotline ingest" in response.json()["error"]["message"]


def test_a_build_longer_than_the_wait_answers_202_and_the_digest_comes_later(bundle_dir: Path, store: Path) -> None:
    with TestClient(create_app(_settings(bundle_dir, store, digest_wait_seconds=0))) as client:
        pending = client.get("/v1/digest/2022-W11")
        assert pending.status_code == 202 and pending.headers["Retry-After"] == str(
            pending.json()["retry_after_seconds"]
        )
        assert pending.json()["status"] == "building" and pending.json()["week"] == "2022-W11"
        page = client.get("/digest/2022-W11")
        # Starting the building process alone takes longer than this: a browser gets a page that reloads itself.
        assert page.status_code == 202 and '<meta http-equiv="refresh"' in page.text and "2022-W11" in page.text
        deadline = time.monotonic() + 240
        while (answer := client.get("/v1/digest/2022-W11")).status_code == 202 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert answer.status_code == 200 and answer.json()["week"] == "2022-W11" and answer.json()["topics"]


def test_a_finished_build_is_kept_when_nobody_waits_for_it(store: Path) -> None:
    from serve.digests import DigestCache, DigestPending

    cache = DigestCache(store)
    try:
        with pytest.raises(DigestPending, match="2022-W10 is being built"):
            cache.get("2022-W10", None, wait=0)
        deadline = time.monotonic() + 240
        while not cache._cache and time.monotonic() < deadline:  # kept by the build's own callback
            time.sleep(0.2)
        (kept,) = cache._cache.values()
        assert cache.get("2022-W10", None, wait=0) is kept and not cache._building
    finally:
        cache.close()
