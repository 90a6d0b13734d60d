"""The prediction log's table, declared once: the service writes it, the trends store reads it.

:mod:`serve.predlog` creates the table and inserts one row per prediction;
:func:`trends.store.read_prediction_log` reads the tickets back for digests. Both take the
table's name, columns and statements from here, so a column added or renamed changes both.
"""

from __future__ import annotations

__all__ = ["COLUMNS", "INSERT", "SCHEMA", "TABLE", "WRITTEN", "select"]

TABLE = "predictions"
# Name and SQL declaration of each column, in the table's order. Texts are stored masked.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("seq", "INTEGER PRIMARY KEY AUTOINCREMENT"),  # numbered by SQLite, in the order rows were written
    ("logged_at", "TEXT NOT NULL"),  # ISO time in UTC
    ("request_id", "TEXT"),
    ("ticket_id", "TEXT"),  # the caller's id, if any
    ("created_at", "TEXT"),  # ISO time the ticket was filed, as the caller gave it
    ("channel", "TEXT"),
    ("title_masked", "TEXT"),
    ("text_masked", "TEXT NOT NULL"),
    ("model_version", "TEXT NOT NULL"),
    ("prediction", "TEXT NOT NULL"),  # the prediction as JSON
)
# The columns a written row fills, in the order of INSERT's parameters (seq is SQLite's).
WRITTEN: tuple[str, ...] = tuple(name for name, _ in COLUMNS if name != "seq")

_DECLARATIONS = ",\n".join(f"    {name} {declaration}" for name, declaration in COLUMNS)
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
{_DECLARATIONS}
);
CREATE INDEX IF NOT EXISTS {TABLE}_ticket ON {TABLE} (ticket_id);
"""
INSERT = f"INSERT INTO {TABLE} ({', '.join(WRITTEN)}) VALUES ({', '.join('?' * len(WRITTEN))})"


def select(*columns: str) -> str:
    """``SELECT columns FROM predictions ORDER BY seq`` (the order rows were written in)."""
    unknown = [c for c in columns if c not in dict(COLUMNS)]
    if not columns or unknown:
        raise ValueError(f"expected columns of the prediction log ({', '.join(dict(COLUMNS))}), got {columns!r}")
    return f"SELECT {', '.join(columns)} FROM {TABLE} ORDER BY seq"
