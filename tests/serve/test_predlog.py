from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

from serve.predlog import PredictionLog
from serve.schemas import TicketIn


def _tickets(n: int, prefix: str) -> list[TicketIn]:
    return [
        TicketIn(ticket_id=f"{prefix}{i}", text=f"电话1381234{i:04d}", created_at=datetime(2022, 3, 7))
        for i in range(n)
    ]


def test_rows_are_written_masked_and_in_order(tmp_path: Path) -> None:
    log = PredictionLog(tmp_path / "p.sqlite3")
    tickets = _tickets(5, "a")
    log.write("r1", tickets, [{"route": "auto"}] * 5, "v1")
    log.close()
    rows = (
        sqlite3.connect(tmp_path / "p.sqlite3")
        .execute("SELECT ticket_id, text_masked, created_at, prediction FROM predictions ORDER BY seq")
        .fetchall()
    )
    assert [r[0] for r in rows] == [f"a{i}" for i in range(5)]
    assert (
        all(r[1] == "电话[手机号]" for r in rows)
        and rows[0][2] == "2022-03-07T00:00:00"
        and rows[0][3] == '{"route": "auto"}'
    )


def test_a_prediction_already_encoded_is_stored_as_given(tmp_path: Path) -> None:
    log = PredictionLog(tmp_path / "p.sqlite3")
    log.write(None, _tickets(2, "j"), ['{"route":"manual"}', {"route": "auto"}], "v1")
    log.close()
    stored = sqlite3.connect(tmp_path / "p.sqlite3").execute("SELECT prediction FROM predictions ORDER BY seq")
    assert [r[0] for r in stored] == ['{"route":"manual"}', '{"route": "auto"}']


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    errors: list[BaseException] = []
    logs = [PredictionLog(path, on_error=errors.append) for _ in range(2)]  # two "workers" on one file

    def send(log: PredictionLog, prefix: str) -> None:
        for k in range(50):
            log.write(None, _tickets(4, f"{prefix}{k}-"), [{}] * 4, "v")

    threads = [threading.Thread(target=send, args=(log, name)) for log, name in zip(logs, "xy", strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for log in logs:
        log.close()
    assert errors == [] and logs[0].count() == 2 * 50 * 4


def test_failures_are_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    errors: list[BaseException] = []
    counts: dict[str, int] = {}
    log = PredictionLog(
        tmp_path / "file" / "p.sqlite3", on_error=errors.append, on_rows=lambda k, n: counts.update({k: n})
    )
    log.write(None, _tickets(1, "z"), [{}], "v")
    log.flush()
    assert len(errors) == 1 and counts == {"dropped": 1}  # neither the log nor its spool could be written


def _hold_write_lock(path: Path) -> sqlite3.Connection:
    """An outside process's view: a connection holding the log's write lock until it commits."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def test_a_held_write_lock_loses_no_acknowledged_prediction(tmp_path: Path, monkeypatch: object) -> None:
    import serve.predlog

    monkeypatch.setattr(serve.predlog, "_BUSY_MS", 50)  # type: ignore[attr-defined]  # give up waiting quickly
    monkeypatch.setattr(serve.predlog, "_ATTEMPTS", 2)  # type: ignore[attr-defined]
    path = tmp_path / "p.sqlite3"
    counts: dict[str, int] = {}
    errors: list[BaseException] = []
    log = PredictionLog(path, on_error=errors.append, on_rows=lambda k, n: counts.update({k: counts.get(k, 0) + n}))
    log.write(None, _tickets(1, "first"), [{}], "v")
    log.flush()
    holder = _hold_write_lock(path)
    for k in range(30):
        log.write(None, _tickets(4, f"held{k}-"), [{}] * 4, "v")
    log.flush()
    assert log.spool_path.exists() and counts["spooled"] == 120 and errors  # locked: spooled, and reported
    holder.execute("COMMIT")
    holder.close()
    log.write(None, _tickets(2, "after"), [{}] * 2, "v")
    log.close()
    ids = [r[0] for r in sqlite3.connect(path).execute("SELECT ticket_id FROM predictions ORDER BY seq")]
    expected = ["first0"] + [f"held{k}-{i}" for k in range(30) for i in range(4)] + ["after0", "after1"]
    assert ids == expected  # all of them, in the order they were acknowledged
    assert counts == {"written": 3, "spooled": 120, "replayed": 120} and not log.spool_path.exists()


def test_the_spool_is_replayed_when_the_writer_is_idle(tmp_path: Path, monkeypatch: object) -> None:
    import serve.predlog

    monkeypatch.setattr(serve.predlog, "_BUSY_MS", 50)  # type: ignore[attr-defined]
    monkeypatch.setattr(serve.predlog, "_ATTEMPTS", 1)  # type: ignore[attr-defined]
    path = tmp_path / "p.sqlite3"
    log = PredictionLog(path, on_error=lambda exc: None)
    log.write(None, _tickets(1, "a"), [{}], "v")
    log.flush()
    holder = _hold_write_lock(path)
    log.write(None, _tickets(3, "b"), [{}] * 3, "v")
    log.flush()
    holder.execute("COMMIT")
    holder.close()
    deadline = time.monotonic() + 10
    while log.spool_path.exists() and time.monotonic() < deadline:  # no new prediction: the writer retries by itself
        time.sleep(0.1)
    assert not log.spool_path.exists() and log.count() == 4
    log.close()


def test_the_spool_is_bounded_and_counts_what_it_drops(tmp_path: Path, monkeypatch: object) -> None:
    import serve.predlog

    monkeypatch.setattr(serve.predlog, "_BUSY_MS", 20)  # type: ignore[attr-defined]
    monkeypatch.setattr(serve.predlog, "_ATTEMPTS", 1)  # type: ignore[attr-defined]
    path = tmp_path / "p.sqlite3"
    counts: dict[str, int] = {}
    log = PredictionLog(
        path, on_error=lambda exc: None, on_rows=lambda k, n: counts.update({k: counts.get(k, 0) + n}), spool_rows=5
    )
    log.write(None, _tickets(1, "a"), [{}], "v")
    log.flush()
    holder = _hold_write_lock(path)
    log.write(None, _tickets(8, "b"), [{}] * 8, "v")
    log.flush()
    assert counts["spooled"] == 5 and counts["dropped"] == 3
    holder.execute("COMMIT")
    holder.close()
    log.close()
    assert log.count() == 1 + 5


def test_a_spool_left_by_a_dead_worker_is_replayed(tmp_path: Path) -> None:
    import json

    path = tmp_path / "p.sqlite3"
    row = ["2022-03-07T00:00:00.000+00:00", None, "orphan", None, None, None, "文本", "v", "{}"]
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    orphan = tmp_path / f"p.sqlite3.spool-{int(dead.stdout)}.jsonl"
    orphan.write_text(json.dumps(row) + "\n" + '["torn', encoding="utf-8")  # a torn last line was never spooled
    log = PredictionLog(path)
    log.write(None, _tickets(1, "new"), [{}], "v")
    log.close()
    ids = [r[0] for r in sqlite3.connect(path).execute("SELECT ticket_id FROM predictions ORDER BY seq")]
    assert ids == ["orphan", "new0"] and not orphan.exists()


def test_row_outcomes_reach_the_metrics(tmp_path: Path) -> None:
    from serve.metrics import Metrics, render

    metrics = Metrics()
    log = PredictionLog(tmp_path / "p.sqlite3", on_rows=metrics.count_prediction_log_rows)
    log.write(None, _tickets(3, "a"), [{}] * 3, "v")
    log.close()
    assert 'hotline_prediction_log_rows_total{outcome="written"} 3.0' in render(metrics).decode()
