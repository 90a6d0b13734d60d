"""Without PySpark, --engine spark says in one line how to install it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cli.main import main


@pytest.mark.parametrize("command", ["predict", "aggregate"])
def test_missing_pyspark_is_one_line_saying_how_to_install_it(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark now raises ImportError
    argv = [command, "--engine", "spark", "--input", str(tmp_path), "--output", str(tmp_path / "out")]
    if command == "predict":
        argv += ["--model", str(tmp_path)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("hotline: error: --engine spark needs PySpark")
    assert 'pip install "hotline-nlp[spark]"' in err[0]


def test_spark_options_are_refused_without_the_spark_engine(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    argv = ["predict", "--model", str(tmp_path), "--input", "a.csv", "--output", "b.csv", "--time-col", "created_at"]
    assert main(argv) == 2
    assert "options of --engine spark" in capsys.readouterr().err
