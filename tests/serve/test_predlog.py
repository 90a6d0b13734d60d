from __future__ import annotations

import sqlite3
import threading
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
    log = PredictionLog(tmp_path / "file" / "p.sqlite3", on_error=errors.append)
    log.write(None, _tickets(1, "z"), [{}], "v")
    log.flush()
    assert len(errors) == 1
