from __future__ import annotations

import json
import sqlite3

import pytest
from fastapi.testclient import TestClient

from serve.app import create_app
from serve.settings import Settings


def _error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and {"code", "message", "details", "request_id"} <= set(body["error"])
    return body["error"]


def test_predict_one(client: TestClient) -> None:
    response = client.post(
        "/v1/predict",
        json={
            "ticket_id": "T1",
            "title": "苏康码变黄码",
            "text": "我的苏康码突然变成黄码了，怎么转绿？",
            "channel": "电话",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["ticket_id"] == "T1" and body["model_version"].startswith("hotline-")
    assert body["covid"]["value"] == 1 and 0.5 <= body["covid"]["proba"] <= 1
    assert body["department"]["label"] == body["department"]["top3"][0]["label"]
    assert len(body["department"]["top3"]) == 3 and body["route"] in ("auto", "manual")
    assert body["explanation"] is None and response.headers["x-request-id"]


def test_explain_lists_terms_of_the_ticket(client: TestClient) -> None:
    body = client.post("/v1/predict?explain=true", json={"text": "公司拖欠工资三个月，请劳动监察帮忙讨薪"}).json()
    terms = [t["term"] for t in body["explanation"]]
    assert terms and any("工资" in t for t in terms)


def test_batch_keeps_order_and_matches_single_predictions(client: TestClient) -> None:
    texts = ["楼上邻居半夜噪音", "请问公积金怎么提取", "小区被封控买不到菜", "出租车拒载"]
    response = client.post(
        "/v1/predict/batch", json={"tickets": [{"ticket_id": str(i), "text": t} for i, t in enumerate(texts)]}
    )
    assert response.headers["content-type"] == "application/json"
    batch = response.json()
    assert [p["ticket_id"] for p in batch["predictions"]] == ["0", "1", "2", "3"]
    for i, text in enumerate(texts):
        single = client.post("/v1/predict", json={"ticket_id": str(i), "text": text}).json()
        assert single == batch["predictions"][i]  # every field, serialised alike
    assert client.post("/v1/predict/batch", json={"tickets": []}).json()["predictions"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": " \n\t "}, "text"),
        ({"title": "x"}, "text"),
        ({"text": 42}, "text"),
        ({"text": "x", "created_at": "yesterday"}, "created_at"),
        ({"text": "x", "priority": "high"}, "priority"),
        ({"tickets": [{"text": "x"}]}, "tickets"),
    ],
)
def test_bad_tickets_get_422_naming_the_field(client: TestClient, body: dict, field: str) -> None:
    response = client.post("/v1/predict", json=body)
    assert response.status_code == 422
    error = _error(response)
    assert error["code"] == "validation_error" and field in [d["field"] for d in error["details"]]


def test_malformed_json_is_422(client: TestClient) -> None:
    response = client.post("/v1/predict", content=b'{"text": "x",', headers={"content-type": "application/json"})
    assert response.status_code == 422 and "expected valid JSON" in _error(response)["message"]


def test_limits_give_413(client: TestClient, settings: Settings) -> None:
    long = client.post("/v1/predict", json={"text": "字" * (settings.max_text_chars + 1)})
    assert long.status_code == 413 and "expected at most 20000 characters" in _error(long)["message"]
    batch = client.post("/v1/predict/batch", json={"tickets": [{"text": "x"}] * (settings.max_batch + 1)})
    assert batch.status_code == 413 and "at most 50 tickets" in _error(batch)["message"]
    in_batch = client.post("/v1/predict/batch", json={"tickets": [{"text": "x"}, {"text": "y", "title": "长" * 20001}]})
    assert in_batch.status_code == 413 and _error(in_batch)["details"][0]["field"] == "tickets.1.title"


def test_body_size_limit(bundle_dir, tmp_path) -> None:
    settings = Settings(model_dir=bundle_dir, prediction_log=None, max_body_bytes=2048)
    with TestClient(create_app(settings)) as client:
        response = client.post("/v1/predict", json={"text": "字" * 2000})
    assert response.status_code == 413 and _error(response)["code"] == "payload_too_large"


def test_bearer_token_for_predict(bundle_dir) -> None:
    settings = Settings(model_dir=bundle_dir, prediction_log=None, api_token="s3cret")
    with TestClient(create_app(settings)) as client:
        assert client.post("/v1/predict", json={"text": "x"}).status_code == 401
        wrong = client.post("/v1/predict", json={"text": "x"}, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
        assert (
            client.post("/v1/predict", json={"text": "x"}, headers={"Authorization": "Bearer s3cret"}).status_code
            == 200
        )
        assert client.get("/healthz").status_code == 200  # operations stay open


def test_admin_is_disabled_without_a_token(bundle_dir) -> None:
    with TestClient(create_app(Settings(model_dir=bundle_dir, prediction_log=None))) as client:
        response = client.post("/v1/admin/reload")
    assert response.status_code == 403 and "HOTLINE_ADMIN_TOKEN" in _error(response)["message"]


def test_operations_endpoints(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready"
    model = client.get("/v1/model").json()
    assert model["bundle_id"] == ready["model_version"] and "department" in model["tasks"]
    client.post("/v1/predict", json={"text": "楼上太吵"})
    client.post("/v1/predict", json={"text": ""})
    metrics = client.get("/metrics").text
    assert 'hotline_requests_total{method="POST",route="/v1/predict",status="200"} 1.0' in metrics
    assert 'status="422"' in metrics and "hotline_request_seconds_bucket" in metrics
    assert "hotline_route_decisions_total" in metrics and f'model_version="{ready["model_version"]}"' in metrics


def test_not_ready_without_a_model(tmp_path) -> None:
    with TestClient(create_app(Settings(model_dir=tmp_path / "none", prediction_log=None))) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        predicted = client.post("/v1/predict", json={"text": "x"})
    assert ready.status_code == 503 and "no such model directory" in _error(ready)["message"]
    assert predicted.status_code == 503


def test_unknown_route_uses_the_error_shape(client: TestClient) -> None:
    response = client.get("/v2/nothing")
    assert response.status_code == 404 and _error(response)["code"] == "not_found"


def test_every_prediction_is_logged_masked(client: TestClient, settings: Settings) -> None:
    answered = client.post("/v1/predict", json={"ticket_id": "A", "text": "我的电话13812345678，苏康码黄码"}).json()
    client.post(
        "/v1/predict/batch", json={"tickets": [{"ticket_id": "B", "text": "x"}, {"ticket_id": "C", "text": "y"}]}
    )
    client.app.state.predlog.flush()  # type: ignore[attr-defined]  # rows are written by a background thread
    rows = (
        sqlite3.connect(settings.prediction_log)
        .execute("SELECT ticket_id, text_masked, model_version, prediction FROM predictions")
        .fetchall()
    )
    assert [r[0] for r in rows] == ["A", "B", "C"]
    assert "13812345678" not in rows[0][1] and "[手机号]" in rows[0][1]
    logged = json.loads(rows[0][3])
    assert logged["department"] == answered["department"] and logged["covid"] == answered["covid"]
    assert "unit" not in logged  # the tasks the bundle has, no null placeholders


def test_a_failing_log_costs_no_prediction(bundle_dir, tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    settings = Settings(model_dir=bundle_dir, prediction_log=blocker / "cannot" / "log.sqlite3")
    with TestClient(create_app(settings)) as client:
        response = client.post("/v1/predict", json={"text": "楼上太吵"})
        client.app.state.predlog.flush()  # type: ignore[attr-defined]
        metrics = client.get("/metrics").text
    assert response.status_code == 200
    assert 'hotline_errors_total{kind="prediction_log"} 1.0' in metrics
