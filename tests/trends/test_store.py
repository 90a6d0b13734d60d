from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from nlp.errors import InputError
from trends.store import StoreBusy, TicketStore


def _frame(ids: list[str], text: str = "电话13812345678 楼上太吵") -> pd.DataFrame:
    return pd.DataFrame(
        {"id": ids, "created_at": pd.Timestamp("2022-03-07 10:00"), "title": "噪音", "text": text, "likes": 3}
    )


def test_reingesting_neither_duplicates_nor_loses(tmp_path: Path) -> None:
    store = TicketStore(tmp_path / "t.duckdb")
    assert store.upsert(_frame(["a", "b", "c"]), source="one.csv") == {"inserted": 3, "updated": 0}
    assert store.upsert(_frame(["b", "c", "d"], text="新的内容"), source="two.csv") == {"inserted": 1, "updated": 2}
    rows = store.tickets()
    assert sorted(rows["id"]) == ["a", "b", "c", "d"]
    assert rows.set_index("id").at["b", "text"] == "新的内容" and rows.set_index("id").at["a", "source"] == "one.csv"


def test_texts_are_stored_masked(tmp_path: Path) -> None:
    store = TicketStore(tmp_path / "t.duckdb")
    store.upsert(_frame(["a"]), source="x")
    assert store.tickets()["text"].iloc[0] == "电话[手机号] 楼上太吵"


def test_time_window(tmp_path: Path) -> None:
    store = TicketStore(tmp_path / "t.duckdb")
    frame = _frame(["a", "b"]).assign(created_at=[pd.Timestamp("2022-03-01"), pd.Timestamp("2022-03-20")])
    store.upsert(frame, source="x")
    assert list(store.tickets(until=pd.Timestamp("2022-03-10"))["id"]) == ["a"]


def test_missing_store_is_explained(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="hotline ingest"):
        TicketStore(tmp_path / "none.duckdb").tickets()


def test_the_prediction_log_lands_in_the_store(tmp_path: Path) -> None:
    from datetime import datetime

    from serve.predlog import PredictionLog
    from serve.schemas import TicketIn
    from trends.store import read_prediction_log

    log = PredictionLog(tmp_path / "p.sqlite3")
    tickets = [
        TicketIn(ticket_id="T1", text="电话13812345678 停水", created_at=datetime(2022, 3, 8, 9)),
        TicketIn(text="楼上太吵"),
    ]
    log.write("r", tickets, [{}, {}], "v1")
    log.close()
    frame = read_prediction_log(tmp_path / "p.sqlite3")
    assert list(frame["id"]) == ["T1", "log-2"] and frame["text"].iloc[0] == "电话[手机号] 停水"
    store = TicketStore(tmp_path / "t.duckdb")
    store.upsert(frame, source="p.sqlite3")
    assert store.count() == 2 and str(store.tickets()["created_at"].iloc[0]) == "2022-03-08 09:00:00"


def test_a_file_that_is_not_a_prediction_log(tmp_path: Path) -> None:
    from trends.store import read_prediction_log

    (tmp_path / "x.sqlite3").write_text("not sqlite")
    with pytest.raises(InputError, match="not a prediction log"):
        read_prediction_log(tmp_path / "x.sqlite3")


def _hold_write_lock(path: Path, seconds: float) -> subprocess.Popen[bytes]:
    """Another process writing the store (as a long ingest would) for ``seconds``."""
    script = (
        "import duckdb, sys, time\n"
        "conn = duckdb.connect(sys.argv[1])\n"
        "print('locked', flush=True)\n"
        f"time.sleep({seconds})\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE)
    assert holder.stdout is not None and holder.stdout.readline().strip() == b"locked"
    return holder


def test_a_store_being_written_is_waited_for_then_reported_clearly(tmp_path: Path) -> None:
    path = tmp_path / "t.duckdb"
    TicketStore(path).upsert(_frame(["a"]), source="x")
    holder = _hold_write_lock(path, 1.5)
    try:
        with pytest.raises(StoreBusy, match="another process is writing the ticket store"):
            TicketStore(path, wait_seconds=0.2).count()
        assert TicketStore(path, wait_seconds=10).count() == 1  # waits for the writer to finish
    finally:
        holder.wait(timeout=10)
