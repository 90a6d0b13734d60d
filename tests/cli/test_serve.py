from __future__ import annotations

import os
from pathlib import Path

import pytest

import serve.runner
from tests.helpers import run_cli


def test_a_bad_kb_index_is_refused_before_serving(
    bundle_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(**_: object) -> None:
        raise AssertionError("the server started with a bad --kb-index")

    monkeypatch.setattr(serve.runner, "run", never)
    monkeypatch.delenv("HOTLINE_KB_INDEX", raising=False)
    monkeypatch.setenv("HOTLINE_MODEL_DIR", "unset")  # restored after the test: run_serve sets it
    (tmp_path / "not-an-index").mkdir()
    for where in (tmp_path / "missing", tmp_path / "not-an-index", bundle_dir):
        code, out, err = run_cli(capsys, "serve", "--model", str(bundle_dir), "--kb-index", str(where))
        assert code == 2 and out == ""
        assert err.startswith(f"hotline: error: {where}") and "hotline kb build" in err and len(err.splitlines()) == 1
    assert "HOTLINE_KB_INDEX" not in os.environ
