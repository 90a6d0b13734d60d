from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cli.main import main
from tests.helpers import run_cli


def test_demo_data(tmp_path: Path, capsys) -> None:
    code, out, _ = run_cli(
        capsys, "demo-data", "--n", "300", "--weeks", "4", "--seed", "3", "--out", str(tmp_path / "d.parquet")
    )
    assert code == 0 and "wrote 300 tickets" in out
    assert len(pd.read_parquet(tmp_path / "d.parquet")) == 300
    assert (tmp_path / "d.parquet.trends.json").exists()


def test_bad_option_values_are_explained(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["demo-data", "--n", "many", "--out", "x.csv"])
    assert exit_info.value.code == 2
    assert "argument --n: expected a whole number >= 50, got 'many'" in capsys.readouterr().err
