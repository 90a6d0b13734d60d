from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

from fastapi.testclient import TestClient

from nlp.bundle import sign_sidecar
from serve.app import create_app
from serve.settings import Settings
from tests.serve.conftest import ADMIN


def _serving_copy(bundle_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "serving"
    shutil.copytree(bundle_dir, target)
    return target


def _retag(directory: Path, bundle_id: str) -> None:
    """Rewrite the sidecar's id (the payload hash stays valid) and sign it again: a 'new' bundle to roll out."""
    sidecar = directory / "bundle.json"
    meta = json.loads(sidecar.read_text(encoding="utf-8"))
    meta["bundle_id"] = bundle_id
    sidecar.write_text(json.dumps(meta), encoding="utf-8")
    sign_sidecar(directory)  # as the owner of the key would


def test_reload_swaps_in_the_new_bundle(bundle_dir: Path, tmp_path: Path) -> None:
    serving = _serving_copy(bundle_dir, tmp_path)
    with TestClient(create_app(Settings(model_dir=serving, prediction_log=None, admin_token="admin-secret"))) as client:
        old = client.get("/readyz").json()["model_version"]
        _retag(serving, "hotline-next")
        response = client.post("/v1/admin/reload", headers=ADMIN)
        assert response.json() == {"model_version": "hotline-next", "previous": old}
        assert client.post("/v1/predict", json={"text": "x"}).json()["model_version"] == "hotline-next"


def test_a_broken_bundle_is_refused_and_the_old_one_keeps_serving(bundle_dir: Path, tmp_path: Path) -> None:
    serving = _serving_copy(bundle_dir, tmp_path)
    with TestClient(create_app(Settings(model_dir=serving, prediction_log=None, admin_token="admin-secret"))) as client:
        old = client.get("/readyz").json()["model_version"]
        (serving / "bundle.joblib").write_bytes(b"half-written")
        response = client.post("/v1/admin/reload", headers=ADMIN)
        assert response.status_code == 409
        assert "SHA-256 differs" in response.json()["error"]["message"] and old in response.json()["error"]["message"]
        assert client.post("/v1/predict", json={"text": "楼上太吵"}).json()["model_version"] == old
        assert 'hotline_model_reloads_total{outcome="refused"} 1.0' in client.get("/metrics").text


def test_predictions_keep_answering_during_reloads(bundle_dir: Path, tmp_path: Path) -> None:
    serving = _serving_copy(bundle_dir, tmp_path)
    statuses: list[int] = []
    with TestClient(create_app(Settings(model_dir=serving, prediction_log=None, admin_token="admin-secret"))) as client:
        stop = threading.Event()

        def load() -> None:
            while not stop.is_set():
                statuses.append(client.post("/v1/predict", json={"text": "苏康码黄码"}).status_code)

        worker = threading.Thread(target=load)
        worker.start()
        for i in range(3):
            _retag(serving, f"hotline-{i}")
            assert client.post("/v1/admin/reload", headers=ADMIN).status_code == 200
        stop.set()
        worker.join()
    assert statuses and set(statuses) == {200}


def test_metrics_show_only_the_current_model_as_loaded(bundle_dir: Path, tmp_path: Path) -> None:
    serving = _serving_copy(bundle_dir, tmp_path)
    with TestClient(create_app(Settings(model_dir=serving, prediction_log=None, admin_token="admin-secret"))) as client:
        old = client.get("/readyz").json()["model_version"]
        _retag(serving, "hotline-next")
        client.post("/v1/admin/reload", headers=ADMIN)
        metrics = client.get("/metrics").text
    assert 'hotline_model_info{model_version="hotline-next"} 1.0' in metrics
    assert f'hotline_model_info{{model_version="{old}"}} 0.0' in metrics
