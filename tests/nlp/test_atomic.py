from __future__ import annotations

import stat
from pathlib import Path

import pandas as pd
import pytest

from nlp.atomic import atomic_path, write_atomic
from nlp.stream import TableWriter
from nlp.tables import read_table


def test_write_atomic_replaces_text_and_bytes_readably(tmp_path: Path) -> None:
    target = tmp_path / "digest.md"
    write_atomic(target, "旧")
    write_atomic(target, "新的内容")
    assert target.read_text(encoding="utf-8") == "新的内容"
    write_atomic(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # not mkstemp's private 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["digest.md"]


def test_a_writer_that_raises_leaves_the_old_target_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "bundle.json"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError, match="disk full"), atomic_path(target) as tmp:
        tmp.write_text("half a fi", encoding="utf-8")
        raise RuntimeError("disk full")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["bundle.json"]


def test_the_temporary_is_beside_the_target_with_its_suffix(tmp_path: Path) -> None:
    with atomic_path(tmp_path / "out.xlsx", suffix=".xlsx") as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".out.xlsx.") and tmp.suffix == ".xlsx"
        tmp.write_bytes(b"x")
    assert (tmp_path / "out.xlsx").read_bytes() == b"x"


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet", ".xlsx"])
def test_a_table_writer_that_fails_leaves_the_old_output(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"out{suffix}"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), TableWriter(target) as writer:
        writer.write(pd.DataFrame({"a": [1, 2]}))
        raise KeyboardInterrupt
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]
    with TableWriter(target) as writer:
        writer.write(pd.DataFrame({"a": ["1", "2"]}))
        writer.write(pd.DataFrame({"a": ["3"]}))
    assert writer.rows == 3 and [p.name for p in tmp_path.iterdir()] == [target.name]
    assert list(read_table(target)["a"].astype(str)) == ["1", "2", "3"]
