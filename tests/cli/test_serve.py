from __future__ import annotations

import os
from pathlib import Path

import pytest

import serve.runner
from tests.helpers import run_cli


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """``hotline serve`` fails the test if it gets as far as starting the server; its variables are restored."""

    def never(**_: object) -> None:
        raise AssertionError("the server started although its options were refused")

    monkeypatch.setattr(serve.runner, "run", never)
    for name in ("HOTLINE_KB_INDEX", "HOTLINE_ANSWERED_INDEX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOTLINE_MODEL_DIR", "unset")  # restored after the test: run_serve sets it


@pytest.mark.usefixtures("no_server")
def test_a_bad_kb_index_is_refused_before_serving(
    bundle_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "not-an-index").mkdir()
    for where in (tmp_path / "missing", tmp_path / "not-an-index", bundle_dir):
        code, out, err = run_cli(capsys, "serve", "--model", str(bundle_dir), "--kb-index", str(where))
        assert code == 2 and out == ""
        assert err.startswith(f"hotline: error: {where}") and "hotline kb build" in err and len(err.splitlines()) == 1
    assert "HOTLINE_KB_INDEX" not in os.environ


@pytest.mark.usefixtures("no_server")
def test_answered_tickets_need_a_knowledge_base(
    bundle_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(capsys, "serve", "--model", str(bundle_dir), "--answered-index", str(tmp_path))
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert err.startswith("hotline: error: --answered-index:") and "--kb-index" in err
    assert "HOTLINE_ANSWERED_INDEX" not in os.environ
