from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.testclient import TestClient

from serve.app import create_app
from serve.deps import get_settings
from serve.settings import Settings


def test_an_override_of_the_settings_changes_every_limit(bundle_dir: Path) -> None:
    app = create_app(Settings(model_dir=bundle_dir, prediction_log=None))
    app.dependency_overrides[get_settings] = lambda: Settings(
        model_dir=bundle_dir, prediction_log=None, max_text_chars=10, max_batch=2
    )
    with TestClient(app) as client:
        long = client.post("/v1/predict", json={"text": "字" * 11})
        assert long.status_code == 413 and "at most 10 characters, got 11" in long.json()["error"]["message"]
        batch = client.post("/v1/predict/batch", json={"tickets": [{"text": "楼上太吵"}] * 3})
        assert batch.status_code == 413 and "at most 2 tickets per batch, got 3" in batch.json()["error"]["message"]
        assert client.post("/v1/predict/batch", json={"tickets": [{"text": "楼上太吵"}] * 2}).status_code == 200
        assert client.post("/v1/predict", json={"text": "字" * 10}).status_code == 200


def test_an_override_reaches_the_token_check_made_before_the_body(bundle_dir: Path) -> None:
    app = create_app(Settings(model_dir=bundle_dir, prediction_log=None))

    async def with_token(request: Request) -> Settings:  # an async override taking the request works too
        return Settings(model_dir=bundle_dir, prediction_log=None, api_token="t")

    app.dependency_overrides[get_settings] = with_token
    with TestClient(app) as client:
        assert client.post("/v1/predict", content=b"not even json").status_code == 401
        ok = client.post("/v1/predict", json={"text": "x"}, headers={"Authorization": "Bearer t"})
        assert ok.status_code == 200


def test_settings_dependency_can_be_overridden(bundle_dir) -> None:
    app = create_app(Settings(model_dir=bundle_dir, prediction_log=None))
    app.dependency_overrides[get_settings] = lambda: Settings(model_dir=bundle_dir, prediction_log=None, api_token="t")
    with TestClient(app) as client:
        assert client.post("/v1/predict", json={"text": "x"}).status_code == 401
