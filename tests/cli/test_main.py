from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from cli.main import main
from nlp.tables import write_table
from tests.helpers import run_cli


def test_console_script_is_installed() -> None:
    hotline = Path(sys.executable).parent / "hotline"
    result = subprocess.run([str(hotline), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "demo-data" in result.stdout


def test_a_path_the_system_refuses_is_one_line_saying_which_and_why(tmp_path: Path, bundle_dir: Path, capsys) -> None:
    path = write_table(pd.DataFrame({"text": ["楼上太吵"]}), tmp_path / "in.csv")
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    output = str(blocker / "sub" / "o.csv")
    code, _, err = run_cli(capsys, "predict", "--model", str(bundle_dir), "--input", str(path), "--output", output)
    assert code == 2 and err.startswith(f"hotline: error: {blocker}") and "check the path" in err
    assert "Traceback" not in err


def _broken(*args: object, **kwargs: object) -> None:
    raise RuntimeError("a bug")


def test_an_unexpected_error_is_one_line_unless_debugging(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:
    monkeypatch.setattr("demo.corpus.write_corpus", _broken)
    argv = ["demo-data", "--out", str(tmp_path / "d.csv")]
    code, _, err = run_cli(capsys, *argv)
    assert (
        code == 1
        and err == "hotline: internal error: RuntimeError: a bug (run with --debug for details and report it)\n"
    )
    with pytest.raises(RuntimeError, match="a bug"):
        run_cli(capsys, "--debug", *argv)


def test_every_command_is_listed(capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        run_cli(capsys, "--help")
    listed = capsys.readouterr().out
    assert stopped.value.code == 0
    commands = re.findall(r"^ {4}(\S+)\s", listed, flags=re.M)
    assert commands == [
        "demo-data", "train", "flag", "predict", "aggregate", "evaluate", "promote", "ingest", "digest", "serve", "kb",
        "demo-kb",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "argv",
    [["nosuch"], ["train", "--out", "x"], ["train", "--tickets", "t.csv", "--out", "m", "--folds", "1"],
     ["predict", "--model", "m", "--input", "a.csv", "--output", "b.csv", "--workers", "0"]],
)  # fmt: skip
def test_bad_command_lines_get_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.startswith("hotline: error: ") and len(err.strip().splitlines()) == 1 and "usage:" not in err
