"""The prediction log: every prediction the service makes, in an SQLite file.

SQLite in WAL mode needs no server and is safe with several worker processes writing at
once (each commit takes the file's write lock briefly; ``busy_timeout`` waits for it).
Texts are stored masked. A failing log never fails a prediction: the caller counts the
error and answers anyway. The trend miner and retraining read this file.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nlp.text import mask_pii

__all__ = ["PredictionLog"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS predictions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    logged_at TEXT NOT NULL,
    request_id TEXT,
    ticket_id TEXT,
    created_at TEXT,
    channel TEXT,
    title_masked TEXT,
    text_masked TEXT NOT NULL,
    model_version TEXT NOT NULL,
    prediction TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS predictions_ticket ON predictions (ticket_id);
"""


class PredictionLog:
    """Append-only log of predictions in an SQLite file (one connection per thread)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes; fsync at checkpoints
            conn.executescript(_SCHEMA)
            self._local.conn = conn
        return conn

    def write(
        self, request_id: str | None, tickets: Sequence[Any], predictions: Sequence[dict[str, Any]], model_version: str
    ) -> None:
        """Append one row per prediction in one transaction."""
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        rows = [
            (
                now,
                request_id,
                t.ticket_id,
                t.created_at.isoformat() if t.created_at else None,
                t.channel,
                mask_pii(t.title) if t.title else None,
                mask_pii(t.text),
                model_version,
                json.dumps(p, ensure_ascii=False),
            )
            for t, p in zip(tickets, predictions, strict=True)
        ]
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(
                "INSERT INTO predictions (logged_at, request_id, ticket_id, created_at, channel, title_masked, text_masked,"
                " model_version, prediction) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def count(self) -> int:
        return int(self._connection().execute("SELECT count(*) FROM predictions").fetchone()[0])
