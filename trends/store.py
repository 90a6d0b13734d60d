"""The ticket store: an embedded DuckDB file that analysts' digests read.

Re-ingesting the same or an overlapping export neither duplicates nor loses tickets: rows
are upserted by ticket id (a newer export's values win). Titles and texts are stored masked
(:func:`nlp.text.mask_pii`): the store feeds digests that people read, and mining needs no phone
numbers. The reporter is stored as a pseudonym, a keyed hash under a random key kept in the
store: digests count distinct reporters and need nothing else. The store refuses a path that is
not a DuckDB file it made (a CSV export given by mistake, a directory, ``:memory:``), rather
than writing where nobody will read.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from nlp.errors import HotlineError, InputError
from nlp.predlog_schema import select
from nlp.text import mask_pii

__all__ = ["COLUMNS", "StoreBusy", "StoreMissing", "TicketStore", "pseudonym"]


class StoreBusy(HotlineError):
    """The store stayed locked by another process (a long ingest) for longer than we wait."""


class StoreMissing(InputError):
    """No store at the given path (nothing was ingested there yet)."""


# Canonical columns of a stored ticket (optional ones are NULL when an export lacks them).
COLUMNS = ("id", "created_at", "title", "text", "reporter", "likes", "dislikes", "district", "channel", "source")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tickets (
    id VARCHAR PRIMARY KEY,
    created_at TIMESTAMP NOT NULL,
    title VARCHAR,
    text VARCHAR NOT NULL,
    reporter VARCHAR,
    likes INTEGER,
    dislikes INTEGER,
    district VARCHAR,
    channel VARCHAR,
    source VARCHAR,
    ingested_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS hotline_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
"""
PRODUCER = "hotline-nlp ticket store"
# Bytes 8-11 of every DuckDB database file.
_DUCKDB_MAGIC = b"DUCK"
# Extensions of the files a user may pass by mistake (an export, a log); a new store is never given one.
_NOT_A_STORE = {".csv", ".tsv", ".txt", ".xlsx", ".xls", ".parquet", ".json", ".jsonl", ".sqlite", ".sqlite3", ".db"}


def pseudonym(reporter: str, key: bytes) -> str:
    """The stored form of a reporter: equal reporters, equal pseudonyms; the value itself is not kept."""
    return "r-" + hmac.new(key, reporter.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:20]


class TicketStore:
    """A DuckDB file of tickets.

    Parameters
    ----------
    path : Path
        The database file; created on first write.
    wait_seconds : float, default=60
        How long to wait for a store that another process is writing (DuckDB lets one
        process write, and nobody read meanwhile) before :class:`StoreBusy`.
    """

    def __init__(self, path: str | Path, *, wait_seconds: float = 60.0) -> None:
        self.path = Path(path)
        self.wait_seconds = wait_seconds

    @property
    def summary_folder(self) -> Path:
        """Where digests cache the week summaries of this store (next to the file)."""
        return self.path.with_name(self.path.name + ".weeks")

    def _connect(self, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        self._check_path()
        if read_only and not self.path.exists():
            raise StoreMissing(
                f"{self.path}: no ticket store here; create it with 'hotline ingest FILE --store {self.path}'"
            )
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self._open(read_only)
        try:
            self._check_made_here(conn, read_only)
        except BaseException:
            conn.close()
            raise
        return conn

    def _check_path(self) -> None:
        """Refuse, before DuckDB opens anything, a path that is no ticket store and cannot become one."""
        what = "a ticket store path (a .duckdb file), e.g. --store tickets.duckdb"
        if str(self.path).startswith(":") or str(self.path) == "":
            raise InputError(f"{self.path}: expected {what}, got an in-memory database, which nobody could read later")
        if self.path.is_dir():
            raise InputError(f"{self.path}: expected {what}, got a directory")
        if self.path.exists():
            with open(self.path, "rb") as handle:
                head = handle.read(12)
            if head[8:12] != _DUCKDB_MAGIC:
                raise InputError(
                    f"{self.path}: expected {what}, got a file that is not a DuckDB database"
                    f"{' (a ' + self.path.suffix + ' file?)' if self.path.suffix else ''}; pass a new path for the store"
                )
        elif self.path.suffix.lower() in _NOT_A_STORE:
            raise InputError(
                f"{self.path}: expected {what}, got a {self.path.suffix} name; a store is a DuckDB file, name it e.g. "
                f"{self.path.with_suffix('.duckdb')}"
            )

    def _check_made_here(self, conn: duckdb.DuckDBPyConnection, read_only: bool) -> None:
        """Refuse a DuckDB file this project did not make; create the tables in a new one."""
        tables = {str(row[0]) for row in conn.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if "hotline_meta" in tables:
            found = conn.execute("SELECT value FROM hotline_meta WHERE key = 'producer'").fetchall()
            if found != [(PRODUCER,)]:
                raise InputError(
                    f"{self.path}: expected a ticket store made by 'hotline ingest', got another DuckDB file; pass a new path for the store"
                )
            return
        if tables - {"tickets"}:
            raise InputError(
                f"{self.path}: expected a ticket store made by 'hotline ingest', got a DuckDB file with tables "
                f"{sorted(tables)}; pass a new path for the store"
            )
        if read_only:
            if not tables:
                raise StoreMissing(
                    f"{self.path}: an empty DuckDB file, no ticket store yet; fill it with 'hotline ingest FILE --store {self.path}'"
                )
            return  # a store of an earlier version (tickets only): its table is written on the next ingest
        conn.execute(_SCHEMA)
        conn.execute(
            "INSERT INTO hotline_meta VALUES ('producer', ?), ('reporter_key', ?) ON CONFLICT DO NOTHING",
            [PRODUCER, secrets.token_hex(32)],
        ).fetchall()

    def _reporter_key(self, conn: duckdb.DuckDBPyConnection) -> bytes:
        found = conn.execute("SELECT value FROM hotline_meta WHERE key = 'reporter_key'").fetchall()
        if not found:  # a store made before reporters were pseudonymised
            conn.execute("INSERT INTO hotline_meta VALUES ('reporter_key', ?)", [secrets.token_hex(32)]).fetchall()
            return self._reporter_key(conn)
        return bytes.fromhex(str(found[0][0]))

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        """Connect, waiting up to ``wait_seconds`` while another process writes (an ingest holds the file)."""
        deadline = time.monotonic() + self.wait_seconds
        delay = 0.05
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():
                    raise
                if time.monotonic() + delay > deadline:
                    raise StoreBusy(
                        f"{self.path}: another process is writing the ticket store (an ingest?) and still held it "
                        f"after {self.wait_seconds:.0f} s; retry when it has finished ({exc})"
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    def upsert(self, frame: pd.DataFrame, *, source: str) -> dict[str, int]:
        """Insert new tickets and update known ids; return counts of ``inserted`` and ``updated``.

        ``frame`` has ``id``, ``created_at``, ``text`` and any of the other :data:`COLUMNS`.
        """
        rows = pd.DataFrame({column: frame[column] if column in frame.columns else None for column in COLUMNS})
        rows["title"] = [mask_pii(t) if isinstance(t, str) else None for t in rows["title"]]
        rows["text"] = [mask_pii(t) for t in rows["text"]]
        rows["source"] = source
        for column in ("likes", "dislikes"):
            rows[column] = pd.to_numeric(rows[column], errors="coerce").astype("Int64")
        rows["ingested_at"] = datetime.now()
        conn = self._connect()
        try:
            key = self._reporter_key(conn)
            rows["reporter"] = [
                None if r is None or (isinstance(r, float) and r != r) or str(r) == "" else pseudonym(str(r), key)
                for r in rows["reporter"]
            ]
            conn.register("incoming", rows)
            known = conn.execute("SELECT count(*) FROM tickets WHERE id IN (SELECT id FROM incoming)").fetchone()
            updated = int(known[0]) if known else 0
            names = ", ".join((*COLUMNS, "ingested_at"))
            assignments = ", ".join(f"{c} = excluded.{c}" for c in (*COLUMNS[1:], "ingested_at"))
            conn.execute(
                f"INSERT INTO tickets ({names}) SELECT {names} FROM incoming ON CONFLICT (id) DO UPDATE SET {assignments}"
            )
        finally:
            conn.close()
        return {"inserted": len(rows) - updated, "updated": updated}

    def tickets(self, *, since: datetime | None = None, until: datetime | None = None) -> pd.DataFrame:
        """Tickets filed in ``[since, until)`` (all when both are None), oldest first."""
        conn = self._connect(read_only=True)
        try:
            clauses, params = [], []
            if since is not None:
                clauses.append("created_at >= ?")
                params.append(since)
            if until is not None:
                clauses.append("created_at < ?")
                params.append(until)
            where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
            return conn.execute(
                f"SELECT {', '.join(COLUMNS)} FROM tickets {where} ORDER BY created_at, id", params
            ).df()
        finally:
            conn.close()

    def content_key(self, since: datetime, until: datetime) -> str | None:
        """A key of the tickets filed in ``[since, until)`` that changes whenever one of them does.

        Computed in the database (a sum of row hashes), so a digest can tell that a cached
        week is still valid without loading the week's tickets. None when there are none.
        """
        conn = self._connect(read_only=True)
        try:
            result: Any = conn.execute(
                "SELECT count(*), sum(hash(id, created_at, coalesce(title, ''), text)::HUGEINT) FROM tickets"
                " WHERE created_at >= ? AND created_at < ?",
                [since, until],
            ).fetchone()
        finally:
            conn.close()
        count, total = int(result[0]), result[1]
        return None if count == 0 else f"store-{count}-{total}"

    def count(self) -> int:
        conn = self._connect(read_only=True)
        try:
            result: Any = conn.execute("SELECT count(*) FROM tickets").fetchone()
            return int(result[0])
        finally:
            conn.close()


def _local_time(created_at: object, logged_at: str) -> pd.Timestamp:
    """Hotline (Asia/Shanghai) wall time: a ticket's own time as given, else when it was logged (UTC)."""
    given = isinstance(created_at, str) and created_at != ""  # SQLite NULL arrives as None or NaN
    stamp = pd.Timestamp(str(created_at) if given else logged_at)
    return stamp.tz_convert("Asia/Shanghai").tz_localize(None) if stamp.tzinfo is not None else stamp


def read_prediction_log(path: str | Path) -> pd.DataFrame:
    """The service's prediction log (SQLite) as tickets for the store.

    A ticket the caller gave no id gets ``log-<seq>``; its time is the ticket's ``created_at``,
    or when it was logged. Texts in the log are already masked.
    """
    import sqlite3

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no prediction log here; the service writes it to HOTLINE_PREDICTION_LOG")
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            frame = pd.read_sql_query(
                select("seq", "ticket_id", "created_at", "logged_at", "channel", "title_masked", "text_masked"), conn
            )
    except (sqlite3.DatabaseError, pd.errors.DatabaseError) as exc:
        raise InputError(f"{path}: not a prediction log ({exc})") from exc
    ids = frame["ticket_id"].where(frame["ticket_id"].notna(), "log-" + frame["seq"].astype(str))
    return pd.DataFrame(
        {
            "id": ids.astype(str),
            "created_at": [
                _local_time(c, logged) for c, logged in zip(frame["created_at"], frame["logged_at"], strict=True)
            ],
            "title": frame["title_masked"],
            "text": frame["text_masked"],
            "channel": frame["channel"],
        }
    ).drop_duplicates("id", keep="last")
