"""``POST /v1/suggest``, ``?suggest=true`` on predictions, and the index's configuration and reloads."""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from demo.kb import DemoKb
from kb.entries import validate_entries
from kb.index import PAYLOAD, SIDECAR, build_index, save_index
from kb.tickets import answered_entries
from nlp.tables import file_sha256
from serve.app import create_app
from serve.deps import NO_KB
from serve.settings import Settings
from tests.serve.conftest import ADMIN

CONSULTATIONS = ["请问社保卡丢了怎么补办", "请问租房可以提取公积金吗，需要什么材料"]
COMPLAINTS = ["楼上装修太吵了，晚上十点还在施工，请尽快处理", "我要投诉出租车司机绕路"]


def _entry(demo: DemoKb, topic: str) -> str:
    """The id of the one entry of ``topic`` (the demo knowledge base says which entry answers what)."""
    (entry_id,) = demo.entries.loc[demo.entries["topic"] == topic, "id"]
    return str(entry_id)


def _versions(demo: DemoKb, topic: str) -> list[str]:
    """A versioned topic's entry ids, oldest first."""
    rows = demo.entries[demo.entries["topic"] == topic].sort_values("valid_from")
    return rows["id"].astype(str).tolist()


def _settings(bundle_dir: Path, kb_index: Path | None, **more: Any) -> Settings:
    return Settings(model_dir=bundle_dir, kb_index=kb_index, prediction_log=None, admin_token="admin-secret", **more)


@pytest.fixture
def client(bundle_dir: Path, kb_index_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(bundle_dir, kb_index_dir, max_text_chars=500))) as client:
        yield client


def _ids(answer: dict[str, Any]) -> list[str]:
    return [s["id"] for s in answer["suggestions"]]


def test_a_consultation_gets_its_entry_first(
    client: TestClient, demo: DemoKb, kb_index_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = {"title": "驾照", "text": "我的驾照弄丢了，去哪里补？电话13912345678", "asked_at": "2022-05-01", "k": 3}
    response = client.post("/v1/suggest", json=body)
    assert response.status_code == 200
    answer = response.json()
    assert answer["abstained"] is False and 1 <= len(answer["suggestions"]) <= 3
    best = answer["suggestions"][0]
    assert best["id"] == _entry(demo, "license_lost")
    entry = demo.entries.set_index("id").loc[best["id"]]
    assert (best["question"], best["answer"], best["department"]) == (
        entry["question"],
        entry["answer"],
        entry["department"],
    )
    assert "驾驶证" in best["shared_terms"] and best["source"] == "kb"
    scores = [s["score"] for s in answer["suggestions"]]
    assert scores == sorted(scores, reverse=True) and 0 < scores[0] <= 1
    sha = json.loads((kb_index_dir / SIDECAR).read_text(encoding="utf-8"))["payload"]["sha256"]
    assert answer["index"] == {"version": f"kb-{sha[:12]}", "sha256": sha, "entries": len(demo.entries), "source": "kb"}
    assert "13912345678" not in caplog.text and "驾照" not in caplog.text  # no text logged, masked or not
    assert "13912345678" not in response.text
    assert len(_ids(client.post("/v1/suggest", json={**body, "k": 1}).json())) == 1


def test_an_unanswerable_question_abstains_and_calls_are_counted(client: TestClient) -> None:
    answer = client.post(
        "/v1/suggest", json={"text": "家里的狗要打狂犬疫苗，去哪里打", "asked_at": "2022-05-01"}
    ).json()
    assert answer["suggestions"] == [] and answer["abstained"] is True
    assert client.post("/v1/suggest", json={"text": "请问社保卡丢了怎么补办"}).json()["abstained"] is False
    metrics = client.get("/metrics").text
    assert 'hotline_suggest_total{outcome="abstained"} 1.0' in metrics
    assert 'hotline_suggest_total{outcome="suggested"} 1.0' in metrics
    assert 'hotline_requests_total{method="POST",route="/v1/suggest",status="200"} 2.0' in metrics


def test_only_entries_valid_when_asked_are_suggested(client: TestClient, demo: DemoKb) -> None:
    subsidy = _entry(demo, "festival_subsidy")  # valid 2022-01-10 to 2022-02-28
    question = {"text": "春节留在苏州过年有补贴吗"}
    assert _ids(client.post("/v1/suggest", json={**question, "asked_at": "2022-02-01T09:30:00"}).json())[:1] == [
        subsidy
    ]
    for after in ("2022-03-05", "2022-03-01T00:00:00+08:00", "2023-01-01"):
        assert subsidy not in _ids(client.post("/v1/suggest", json={**question, "asked_at": after}).json())
    assert subsidy not in _ids(client.post("/v1/suggest", json={**question, "asked_at": "2021-12-31"}).json())
    # A policy in three versions: each asked time gets its own version, never a superseded one.
    first, second, third = _versions(demo, "covid_arrival")
    arrival = {"text": "我从外地回苏州，需要做核酸检测吗", "k": 20}
    for asked, right in (("2022-03-01", first), ("2022-07-01", second), ("2022-12-20", third)):
        found = _ids(client.post("/v1/suggest", json={**arrival, "asked_at": asked}).json())
        assert found[:1] == [right] and not {first, second, third} - {right} & set(found)


def test_predict_suggests_for_consultations_only(bundle_dir: Path, kb_index_dir: Path, client: TestClient) -> None:
    tickets = [{"text": t, "created_at": "2022-05-01T10:00:00"} for t in CONSULTATIONS + COMPLAINTS]
    predictions = client.post("/v1/predict/batch?suggest=true", json={"tickets": tickets}).json()["predictions"]
    consultation = [p["consultation"]["value"] == 1 for p in predictions]
    assert consultation == [True, True, False, False]  # the bundle tells them apart: both kinds are tested
    assert ["suggestions" in p for p in predictions] == consultation
    assert all(p["suggestions"] for p in predictions[:2])
    assert "社会保障卡" in predictions[0]["suggestions"][0]["question"]
    one = client.post("/v1/predict?suggest=true", json=tickets[1]).json()
    assert "公积金" in one["suggestions"][0]["question"]
    assert "suggestions" not in client.post("/v1/predict?suggest=true", json=tickets[2]).json()
    # Without ?suggest=true the answer is byte for byte that of a service without a knowledge base.
    with TestClient(create_app(_settings(bundle_dir, None))) as plain:
        for ticket in tickets:
            expected = plain.post("/v1/predict", json=ticket).content
            assert client.post("/v1/predict", json=ticket).content == expected
            assert client.post("/v1/predict?suggest=false", json=ticket).content == expected
        assert "suggestions" not in plain.post("/v1/predict", json=tickets[0]).text


def test_suggestions_are_answered_but_not_logged(bundle_dir: Path, kb_index_dir: Path, tmp_path: Path) -> None:
    settings = _settings(bundle_dir, kb_index_dir).model_copy(update={"prediction_log": tmp_path / "log.sqlite3"})
    tickets = [
        {"ticket_id": str(i), "text": t, "created_at": "2022-05-01T10:00:00"} for i, t in enumerate(CONSULTATIONS)
    ]
    with TestClient(create_app(settings)) as client:
        answered = client.post("/v1/predict/batch?suggest=true", json={"tickets": tickets}).json()["predictions"]
        client.app.state.predlog.flush()  # type: ignore[attr-defined]
    rows = sqlite3.connect(settings.prediction_log).execute("SELECT ticket_id, prediction FROM predictions").fetchall()
    assert all(p["suggestions"] for p in answered)  # answered with suggestions ...
    logged = [json.loads(r[1]) for r in rows]
    assert [r[0] for r in rows] == ["0", "1"] and all("suggestions" not in p for p in logged)  # ... logged without
    assert [p["consultation"] for p in logged] == [p["consultation"] for p in answered]


def test_without_an_index_suggestions_answer_503(bundle_dir: Path) -> None:
    with TestClient(create_app(_settings(bundle_dir, None))) as plain:
        for response in (
            plain.post("/v1/suggest", json={"text": "社保卡丢了怎么补办"}),
            plain.post("/v1/predict?suggest=true", json={"text": "社保卡丢了怎么补办"}),
            plain.post("/v1/predict/batch?suggest=true", json={"tickets": [{"text": "社保卡丢了怎么补办"}]}),
            plain.get("/v1/kb"),
        ):
            assert response.status_code == 503
            assert response.json()["error"]["code"] == "kb_missing"
            assert response.json()["error"]["message"] == NO_KB
        assert plain.post("/v1/predict", json={"text": "社保卡丢了怎么补办"}).status_code == 200
        assert "kb_version" not in plain.get("/readyz").json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "社保卡", "k": 0}, "k"),
        ({"text": "社保卡", "k": 1000}, "k"),
        ({"text": "社保卡", "k": "five"}, "k"),
        ({"text": ""}, "text"),
        ({"text": " \n\t"}, "text"),
        ({"title": "社保卡"}, "text"),
        ({"text": "社保卡", "asked_at": "last tuesday"}, "asked_at"),
        ({"text": "社保卡", "asked_at": "2022-02-30"}, "asked_at"),
        ({"text": "社保卡", "asked_at": "0001-01-01T00:00:00"}, "asked_at"),
        ({"text": "社保卡", "asked_at": "9999-12-31"}, "asked_at"),
        ({"text": "社保卡", "limit": 3}, "limit"),
    ],
)
def test_bad_bodies_are_refused(client: TestClient, body: dict[str, Any], field: str) -> None:
    response = client.post("/v1/suggest", json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error" and field in {d["field"] for d in error["details"]}


def test_surrogates_and_oversized_texts_are_refused(client: TestClient) -> None:
    for raw in (b'{"text": "\\ud800"}', b'{"text": "ok", "title": "\\udfff"}'):
        response = client.post("/v1/suggest", content=raw, headers={"Content-Type": "application/json"})
        assert response.status_code == 422 and "surrogate" in response.json()["error"]["message"]
    response = client.post("/v1/suggest", json={"text": "社" * 501})
    assert response.status_code == 413 and response.json()["error"]["details"][0]["field"] == "text"


def test_predict_with_suggestions_refuses_an_impossible_time(client: TestClient) -> None:
    ticket = {"text": CONSULTATIONS[0], "created_at": "0001-01-01T00:00:00"}
    response = client.post("/v1/predict/batch?suggest=true", json={"tickets": [{"text": "x"}, ticket]})
    assert response.status_code == 422 and response.json()["error"]["details"][0]["field"] == "tickets.1.created_at"
    assert client.post("/v1/predict", json=ticket).status_code == 200  # without suggestions the time is not used


def test_ops_show_the_index(client: TestClient, kb_index_dir: Path) -> None:
    version = client.post("/v1/suggest", json={"text": "社保卡"}).json()["index"]["version"]
    assert client.get("/readyz").json()["kb_version"] == version
    sidecar = json.loads((kb_index_dir / SIDECAR).read_text(encoding="utf-8"))
    assert client.get("/v1/kb").json() == {**sidecar, "version": version}
    metrics = client.get("/metrics").text
    assert f'hotline_kb_index_info{{kb_version="{version}",source="kb"}} 1.0' in metrics
    assert 'hotline_kb_reloads_total{outcome="ok",source="kb"} 1.0' in metrics


def _rebuild(demo: DemoKb, directory: Path, answer: str) -> None:
    """Build the demo knowledge base again with the lost-licence entry's answer changed, into ``directory``."""
    entries = demo.entries.drop(columns="topic").copy()
    entries.loc[demo.entries["topic"] == "license_lost", "answer"] = answer
    save_index(build_index(validate_entries(entries), calibration=demo.calibration), directory)


def _tamper(directory: Path, payload_from: Path) -> None:
    """Swap in another payload and record its hash in the sidecar, as someone without the signing key could."""
    shutil.copyfile(payload_from / PAYLOAD, directory / PAYLOAD)
    sidecar = directory / SIDECAR
    meta = json.loads(sidecar.read_text(encoding="utf-8"))
    meta["payload"]["sha256"] = file_sha256(directory / PAYLOAD)
    sidecar.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def test_reload_swaps_in_a_rebuilt_index_and_refuses_a_tampered_one(
    bundle_dir: Path, kb_index_dir: Path, demo: DemoKb, tmp_path: Path
) -> None:
    serving = Path(shutil.copytree(kb_index_dir, tmp_path / "kb"))
    ask = {"text": "我的驾照弄丢了，去哪里补", "asked_at": "2022-05-01"}
    # Two apps on one index folder: two workers of one server.
    with (
        TestClient(create_app(_settings(bundle_dir, serving))) as first,
        TestClient(create_app(_settings(bundle_dir, serving))) as second,
    ):
        old = first.post("/v1/suggest", json=ask).json()["index"]["version"]
        model = first.get("/readyz").json()["model_version"]
        _rebuild(demo, serving, "新版答复：请携带身份证到车管所补领。")
        response = first.post("/v1/admin/reload", headers=ADMIN)
        assert response.status_code == 200
        new = response.json()["kb_version"]
        assert response.json() == {"model_version": model, "previous": model, "kb_version": new, "kb_previous": old}
        assert new != old
        for worker in (first, second):  # the other worker follows the sidecar before its next answer
            answer = worker.post("/v1/suggest", json=ask).json()
            assert answer["index"]["version"] == new and answer["suggestions"][0]["answer"].startswith("新版答复")

        _tamper(serving, kb_index_dir)
        response = first.post("/v1/admin/reload", headers=ADMIN)
        assert response.status_code == 409 and response.json()["error"]["code"] == "reload_refused"
        message = response.json()["error"]["message"]
        assert message.startswith("knowledge base: ") and "signature does not match" in message and new in message
        assert response.json()["error"]["details"] == [{"kb_serving": new}]
        for worker in (first, second):  # the old index keeps answering, in every worker
            answer = worker.post("/v1/suggest", json=ask).json()
            assert answer["index"]["version"] == new and answer["suggestions"][0]["answer"].startswith("新版答复")
        assert worker.post("/v1/predict", json={"text": "x"}).status_code == 200  # the model was reloaded
        assert 'hotline_kb_reloads_total{outcome="refused",source="kb"} 1.0' in first.get("/metrics").text


def test_an_index_that_fails_at_start_leaves_predictions_serving(bundle_dir: Path, tmp_path: Path) -> None:
    with TestClient(create_app(_settings(bundle_dir, tmp_path / "no-index"))) as client:
        response = client.post("/v1/suggest", json={"text": "社保卡"})
        assert response.status_code == 503 and response.json()["error"]["code"] == "kb_not_ready"
        assert "hotline kb build" in response.json()["error"]["message"]
        assert client.post("/v1/predict", json={"text": "社保卡"}).status_code == 200
        assert client.get("/readyz").json()["kb_version"] is None


ANSWERED = pd.DataFrame(
    {
        "id": ["t1", "t2"],
        "title": ["小区停水", "路灯不亮"],
        "text": ["我家小区停水三天了，电话13912345678，什么时候来水？", "门口路灯坏了一个月没人修"],
        "reply": ["经核实，管网维修，已于当天恢复供水。", "已通知路灯管理处维修。"],
    }
)
WATER = {"text": "我们小区又停水了，什么时候恢复供水", "asked_at": "2022-05-01"}
LICENCE = {"text": "我的驾照弄丢了，去哪里补", "asked_at": "2022-05-01"}


@pytest.fixture
def answered_dir(tmp_path: Path) -> Path:
    """Past answered tickets as ``hotline kb build --answered-tickets`` indexes them."""
    return save_index(build_index(answered_entries(ANSWERED), source="answered_ticket"), tmp_path / "answered")


def test_past_answered_tickets_are_suggested_beside_the_knowledge_base(
    bundle_dir: Path, kb_index_dir: Path, answered_dir: Path, demo: DemoKb
) -> None:
    settings = _settings(bundle_dir, kb_index_dir, answered_index=answered_dir)
    with TestClient(create_app(settings)) as client:
        water = client.post("/v1/suggest", json=WATER).json()
        assert [(s["id"], s["source"]) for s in water["suggestions"]][:1] == [("t1", "answered_ticket")]
        assert "13912345678" not in water["suggestions"][0]["question"]  # shown to operators: masked
        assert water["index"]["source"] == "kb" and water["answered_index"]["source"] == "answered_ticket"
        licence = client.post("/v1/suggest", json=LICENCE).json()
        assert (licence["suggestions"][0]["id"], licence["suggestions"][0]["source"]) == (
            _entry(demo, "license_lost"),
            "kb",
        )
        ready = client.get("/readyz").json()
        assert ready["answered_version"] == water["answered_index"]["version"] != ready["kb_version"]
        predicted = client.post("/v1/predict?suggest=true", json={"text": "请问" + WATER["text"]}).json()
        assert predicted["consultation"]["value"] == 1
        assert "t1" in [s["id"] for s in predicted["suggestions"]]
        reloaded = client.post("/v1/admin/reload", headers=ADMIN).json()
        assert reloaded["answered_version"] == reloaded["answered_previous"] == ready["answered_version"]
        metrics = client.get("/metrics").text
        assert (
            f'hotline_kb_index_info{{kb_version="{ready["answered_version"]}",source="answered_ticket"}} 1.0' in metrics
        )


def test_without_answered_tickets_the_answer_has_no_such_index(client: TestClient) -> None:
    answer = client.post("/v1/suggest", json=WATER).json()
    assert answer["answered_index"] is None and all(s["source"] == "kb" for s in answer["suggestions"])
    assert "answered_version" not in client.get("/readyz").json()
    assert "answered_version" not in client.post("/v1/admin/reload", headers=ADMIN).json()


def test_an_index_of_the_wrong_source_is_refused_and_the_knowledge_base_answers_alone(
    bundle_dir: Path, kb_index_dir: Path, answered_dir: Path
) -> None:
    # Swapped by mistake: the knowledge base configured as the answered tickets' index.
    with TestClient(create_app(_settings(bundle_dir, kb_index_dir, answered_index=kb_index_dir))) as client:
        assert client.get("/readyz").json()["answered_version"] is None
        answer = client.post("/v1/suggest", json=LICENCE).json()
        assert answer["suggestions"] and answer["answered_index"] is None
        response = client.post("/v1/admin/reload", headers=ADMIN)
        assert response.status_code == 409 and response.json()["error"]["details"] == [{"answered_serving": None}]
        message = response.json()["error"]["message"]
        assert "expected an index of source 'answered_ticket'" in message and "--answered-tickets" in message
    with TestClient(create_app(_settings(bundle_dir, answered_dir))) as client:  # and the other way round
        response = client.post("/v1/suggest", json=WATER)
        assert response.status_code == 503 and "expected an index of source 'kb'" in response.json()["error"]["message"]
