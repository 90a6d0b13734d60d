"""The prediction log: every prediction the service makes, in an SQLite file.

SQLite in WAL mode needs no server and is safe with several worker processes writing at
once (each commit takes the file's write lock briefly; ``busy_timeout`` waits for it).
Texts are stored masked (:func:`nlp.text.mask_pii`). Rows are handed to one writer thread per
process, which commits them in small batches: a commit (or a WAL checkpoint's fsync) never
stalls a request. A failing log never fails a prediction: ``on_error`` is told, and the caller
counts it.

When the file stays locked (another process holding its write lock longer than the busy
timeout) or cannot be written, the rows go to a spool instead: JSON lines next to the log
(``<log>.spool-<pid>.jsonl``, one file per process, fsynced after each batch), bounded by
``spool_rows``. The writer replays the spool into the log as soon as a write succeeds again
(it retries every second meanwhile), and a writer that starts replays the spools that a
process left behind. Rows beyond the bound are dropped. ``on_rows(outcome, n)`` is told of
rows ``written``, ``spooled``, ``replayed`` and ``dropped``.

On shutdown :meth:`close` writes what is queued. What a hard crash (``kill -9``) can still lose
is what was queued and neither committed nor spooled: the batch being written, typically a few
milliseconds of predictions. A crash between a replay's commit and the removal of its spool
file writes those rows twice on the next replay.
"""

from __future__ import annotations

import json
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nlp.predlog_schema import INSERT, SCHEMA, TABLE
from nlp.text import mask_pii

__all__ = ["PredictionLog"]

_ATTEMPTS = 5  # a busy file is retried after 0.05, 0.1, 0.2, 0.4 s
_BUSY_MS = 10_000  # how long one attempt waits for another writer's lock
# A row's values, in the order of the log's written columns (nlp.predlog_schema.WRITTEN).
_Row = tuple[str, str | None, str | None, str | None, str | None, str | None, str, str, str]


class PredictionLog:
    """Append-only log of predictions in an SQLite file, written by a background thread.

    Parameters
    ----------
    path : Path
        The SQLite file (created with its folder if missing).
    on_error : callable, optional
        Called with the exception when rows could not be written to the log (they are spooled,
        or dropped when the spool cannot take them).
    capacity : int
        Rows that may wait for the writer; beyond it :meth:`write` raises ``queue.Full``.
    on_rows : callable, optional
        Called with an outcome (``written``, ``spooled``, ``replayed``, ``dropped``) and a number of rows.
    spool_rows : int
        Rows the spool of this process may hold while the log cannot be written; more are dropped.
    """

    def __init__(
        self,
        path: Path,
        *,
        on_error: Callable[[BaseException], None] | None = None,
        capacity: int = 100_000,
        on_rows: Callable[[str, int], None] | None = None,
        spool_rows: int = 1_000_000,
    ) -> None:
        self.path = path
        self.on_error = on_error
        self.on_rows = on_rows
        self.spool_rows = spool_rows
        self._queue: queue.Queue[list[_Row] | None] = queue.Queue(maxsize=capacity)
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._spooled = 0  # rows in this process's spool file, not yet replayed
        self._adopted = False  # whether the spools left by other processes were looked for

    def write(
        self,
        request_id: str | None,
        tickets: Sequence[Any],
        predictions: Sequence[dict[str, Any] | str],
        model_version: str,
    ) -> None:
        """Queue one row per prediction (masked here, written by the writer thread).

        A prediction is a dict, or its JSON already encoded (the service's pydantic answers
        encode themselves several times faster than ``json.dumps`` of their dumps).
        """
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
                p if isinstance(p, str) else json.dumps(p, ensure_ascii=False),
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
        conn = sqlite3.connect(self.path, timeout=_BUSY_MS / 1000, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes; fsync at checkpoints
        conn.executescript(SCHEMA)
        return conn

    @property
    def spool_path(self) -> Path:
        """This process's spool: rows that could not be written to the log yet."""
        return self.path.with_name(f"{self.path.name}.spool-{os.getpid()}.jsonl")

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        stop = False
        while not stop:
            try:
                # With rows spooled, wake up every second to replay them once the lock is free.
                first = self._queue.get(timeout=1.0) if self._spooled else self._queue.get()
            except queue.Empty:
                conn = self._replay(conn)
                continue
            items = [first]
            while items[-1] is not None and len(items) < 1000:  # take what else waits: one commit for all
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = items[-1] is None
            batch = [row for item in items if item is not None for row in item]
            if batch:
                conn = self._write(conn, batch)
            for _ in items:
                self._queue.task_done()
        if self._spooled:
            conn = self._replay(conn)  # what is left stays on disk, for the next writer to adopt
        if conn is not None:
            conn.close()

    def _write(self, conn: sqlite3.Connection | None, batch: list[_Row]) -> sqlite3.Connection | None:
        """Write ``batch`` to the log, after what waits in the spool; to the spool when the log cannot take it."""
        if not self._adopted:
            self._adopted = True
            self._adopt_orphans()
        if self._spooled:
            conn = self._replay(conn)
            if self._spooled:  # still locked: keep the order, append behind the spooled rows
                self._spool(batch)
                return conn
        conn, error = self._commit(conn, batch, attempts=_ATTEMPTS)
        if error is None:
            self._count("written", len(batch))
        else:
            self._report(error)  # one report per batch: a spool that fails too shows as dropped rows
            self._spool(batch, report=False)
        return conn

    def _spool(self, batch: list[_Row], *, report: bool = True) -> None:
        room = max(0, self.spool_rows - self._spooled)
        kept, dropped = batch[:room], len(batch) - min(room, len(batch))
        if kept:
            try:
                with open(self.spool_path, "a", encoding="utf-8") as handle:
                    handle.write("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in kept))
                    handle.flush()
                    os.fsync(handle.fileno())
            except OSError as exc:
                if report:
                    self._report(exc)
                dropped += len(kept)
                kept = []
        self._spooled += len(kept)
        self._count("spooled", len(kept))
        self._count("dropped", dropped)

    def _replay(self, conn: sqlite3.Connection | None) -> sqlite3.Connection | None:
        """Move this process's spool into the log in one transaction (one quick try: the file may still be locked)."""
        try:
            with open(self.spool_path, encoding="utf-8") as handle:
                # A torn last line (a crash while spooling) was never acknowledged as spooled.
                rows = [tuple(json.loads(line)) for line in handle if line.endswith("\n")]
        except FileNotFoundError:
            self._spooled = 0
            return conn
        conn, error = self._commit(conn, rows, attempts=1, busy_ms=100)
        if error is None:
            self.spool_path.unlink(missing_ok=True)
            self._spooled = 0
            self._count("replayed", len(rows))
        return conn

    def _adopt_orphans(self) -> None:
        """Take over the spools of processes that are gone (a worker killed with rows spooled)."""
        for orphan in self.path.parent.glob(f"{self.path.name}.spool-*.jsonl"):
            pid = orphan.name.removeprefix(f"{self.path.name}.spool-").removesuffix(".jsonl")
            if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
                continue
            claimed = orphan.with_name(f"{orphan.name}.{os.getpid()}.claim")
            try:
                os.replace(orphan, claimed)  # one process wins the rename
            except OSError:
                continue
            with open(claimed, encoding="utf-8") as source, open(self.spool_path, "a", encoding="utf-8") as target:
                lines = [line for line in source if line.endswith("\n")]
                target.writelines(lines)
                target.flush()
                os.fsync(target.fileno())
            claimed.unlink()
            self._spooled += len(lines)

    def _count(self, outcome: str, rows: int) -> None:
        if rows and self.on_rows:
            self.on_rows(outcome, rows)

    def _commit(
        self, conn: sqlite3.Connection | None, batch: list[_Row], *, attempts: int, busy_ms: int | None = None
    ) -> tuple[sqlite3.Connection | None, BaseException | None]:
        """Write ``batch`` in one transaction, retrying a busy file; on failure return the error and drop the connection."""
        error: BaseException | None = None
        for attempt in range(attempts):
            try:
                conn = conn or self._connect()
                if busy_ms is not None:
                    conn.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        conn.executemany(INSERT, batch)
                        conn.execute("COMMIT")
                    except BaseException:
                        conn.execute("ROLLBACK")
                        raise
                finally:
                    if busy_ms is not None:
                        conn.execute(f"PRAGMA busy_timeout={_BUSY_MS}")
                return conn, None
            except sqlite3.OperationalError as exc:
                # Another worker creating the file or switching it to WAL can refuse us at once
                # ("database is locked") without the busy timeout: wait a little and try again.
                if conn is not None:
                    conn.close()
                conn, error = None, exc
                if attempt < attempts - 1:
                    time.sleep(0.05 * 2**attempt)
            except Exception as exc:
                if conn is not None:
                    conn.close()
                return None, exc
        return None, error

    def _report(self, exc: BaseException) -> None:
        if self.on_error:
            self.on_error(exc)

    def flush(self) -> None:
        """Wait until every queued row has been written, spooled or dropped."""
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
            return int(conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0])
        finally:
            conn.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True
