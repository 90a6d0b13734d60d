from __future__ import annotations

import sqlite3

import pytest

from nlp.predlog_schema import COLUMNS, INSERT, SCHEMA, TABLE, WRITTEN, select


def test_the_schema_creates_the_declared_columns_and_insert_fills_the_written_ones() -> None:
    with sqlite3.connect(":memory:") as conn:
        conn.executescript(SCHEMA)
        conn.executescript(SCHEMA)  # idempotent: every process of the service runs it at start
        declared = [row[1] for row in conn.execute(f"PRAGMA table_info({TABLE})")]
        assert declared == [name for name, _ in COLUMNS]
        values = {"logged_at": "2022-04-11T08:00:00.000+00:00", "ticket_id": "t1", "text_masked": "停水",
                  "model_version": "m", "prediction": "{}"}  # fmt: skip
        conn.execute(INSERT, [values.get(name) for name in WRITTEN])
        conn.execute(INSERT, [values.get(name) for name in WRITTEN])
        rows = conn.execute(select("seq", "ticket_id", "text_masked")).fetchall()
    assert rows == [(1, "t1", "停水"), (2, "t1", "停水")]
    assert "seq" not in WRITTEN


def test_a_required_column_left_empty_is_refused() -> None:
    with sqlite3.connect(":memory:") as conn:
        conn.executescript(SCHEMA)
        with pytest.raises(sqlite3.IntegrityError, match="text_masked"):
            conn.execute(INSERT, [None if name == "text_masked" else "x" for name in WRITTEN])


def test_select_names_unknown_columns() -> None:
    with pytest.raises(ValueError, match=r"expected columns of the prediction log .*got \('text',\)"):
        select("text")
