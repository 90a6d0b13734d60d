"""One test against the real server: ``hotline serve`` on a free loopback port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.helpers import free_port, wait_ready


def test_hotline_serve_answers_over_http(bundle_dir: Path, kb_index_dir: Path, tmp_path: Path) -> None:
    port = free_port()
    hotline = Path(sys.executable).parent / "hotline"
    env = {**os.environ, "HOTLINE_ADMIN_TOKEN": "t"}
    args = [
        str(hotline),
        "serve",
        "--model",
        str(bundle_dir),
        "--kb-index",
        str(kb_index_dir),
        "--port",
        str(port),
        "--prediction-log",
        str(tmp_path / "p.sqlite3"),
    ]
    server = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, 60)
        response = httpx.post(f"{base}/v1/predict", json={"text": "小区被封控，团购的菜送不进来"}, timeout=10)
        assert response.status_code == 200 and response.json()["covid"]["value"] == 1
        assert httpx.get(f"{base}/docs", timeout=5).status_code == 200
        suggested = httpx.post(f"{base}/v1/suggest", json={"text": "请问社保卡丢了怎么补办"}, timeout=10).json()
        assert suggested["suggestions"] and suggested["index"]["version"].startswith("kb-")
        server.send_signal(signal.SIGHUP)  # reload on SIGHUP, the model and the index: the service keeps answering
        time.sleep(1)
        assert httpx.post(f"{base}/v1/predict", json={"text": "x"}, timeout=10).status_code == 200
        metrics = httpx.get(f"{base}/metrics", timeout=5).text
        assert 'hotline_model_reloads_total{outcome="ok"} 2.0' in metrics
        assert 'hotline_kb_reloads_total{outcome="ok",source="kb"} 2.0' in metrics
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert "interactive API docs" in output and f"knowledge base {suggested['index']['version']}" in output
