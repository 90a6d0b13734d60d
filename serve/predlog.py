"""The prediction log: every prediction the service makes, in an SQLite file.

SQLite in WAL mode needs no server and is safe with several worker processes writing at
once (each commit takes the file's write lock briefly; ``busy_timeout`` waits for it).
Texts are stored masked. Rows are handed to one writer thread per process, which commits
them in small batches: a commit (or a WAL checkpoint's fsync) never stalls a request. A
failing log never fails a prediction: ``on_error`` is told, and the caller counts it.
On shutdown :meth:`close` writes what is queued. What a hard crash can lose is what was
queued and not yet committed (typically a few milliseconds of predictions).
"""

from __future__ import annotations

import json
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
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
_ATTEMPTS = 5  # a busy file is retried after 0.05, 0.1, 0.2, 0.4 s
_INSERT = (
    "INSERT INTO predictions (logged_at, request_id, ticket_id, created_at, channel, title_masked, text_masked,"
    " model_version, prediction) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_Row = tuple[str, str | None, str | None, str | None, str | None, str | None, str, str, str]


class PredictionLog:
    """Append-only log of predictions in an SQLite file, written by a background thread.

    Parameters
    ----------
    path : Path
        The SQLite file (created with its folder if missing).
    on_error : callable, optional
        Called with the exception when rows could not be written (they are dropped).
    capacity : int
        Rows that may wait for the writer; beyond it :meth:`write` raises ``queue.Full``.
    """

    def __init__(
        self, path: Path, *, on_error: Callable[[BaseException], None] | None = None, capacity: int = 100_000
    ) -> None:
        self.path = path
        self.on_error = on_error
        self._queue: queue.Queue[list[_Row] | None] = queue.Queue(maxsize=capacity)
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def write(
        self, request_id: str | None, tickets: Sequence[Any], predictions: Sequence[dict[str, Any]], model_version: str
    ) -> None:
        """Queue one row per prediction (masked here, written by the writer thread)."""
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        rows: list[_Row] = [
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
        self._ensure_writer()
        self._queue.put_nowait(rows)

    def _ensure_writer(self) -> None:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="prediction-log", daemon=True)
                self._thread.start()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes; fsync at checkpoints
        conn.executescript(_SCHEMA)
        return conn

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        stop = False
        while not stop:
            items = [self._queue.get()]
            while items[-1] is not None and len(items) < 1000:  # take what else waits: one commit for all
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = items[-1] is None
            batch = [row for item in items if item is not None for row in item]
            if batch:
                conn = self._commit(conn, batch)
            for _ in items:
                self._queue.task_done()
        if conn is not None:
            conn.close()

    def _commit(self, conn: sqlite3.Connection | None, batch: list[_Row]) -> sqlite3.Connection | None:
        """Write ``batch`` in one transaction, retrying a busy file; on failure report it and drop the connection."""
        for attempt in range(_ATTEMPTS):
            try:
                conn = conn or self._connect()
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.executemany(_INSERT, batch)
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                return conn
            except sqlite3.OperationalError as exc:
                # Another worker creating the file or switching it to WAL can refuse us at once
                # ("database is locked") without the busy timeout: wait a little and try again.
                if conn is not None:
                    conn.close()
                conn = None
                if attempt == _ATTEMPTS - 1:
                    self._report(exc)
                else:
                    time.sleep(0.05 * 2**attempt)
            except Exception as exc:
                self._report(exc)
                return None
        return None

    def _report(self, exc: BaseException) -> None:
        if self.on_error:
            self.on_error(exc)

    def flush(self) -> None:
        """Wait until every queued row has been written (or failed)."""
        if self._thread is not None and self._thread.is_alive():
            self._queue.join()

    def close(self) -> None:
        """Write what is queued, then stop the writer thread."""
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=30)

    def count(self) -> int:
        """Rows in the file (after :meth:`flush`, every prediction made so far)."""
        conn = self._connect()
        try:
            return int(conn.execute("SELECT count(*) FROM predictions").fetchone()[0])
        finally:
            conn.close()
