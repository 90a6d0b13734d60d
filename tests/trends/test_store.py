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


def test_reporters_are_stored_as_pseudonyms(tmp_path: Path) -> None:
    store = TicketStore(tmp_path / "t.duckdb")
    frame = _frame(["a", "b", "c"]).assign(reporter=["13812345678", "13812345678", "张伟"])
    store.upsert(frame, source="x")
    reporters = store.tickets()["reporter"].tolist()
    assert reporters[0] == reporters[1] != reporters[2]  # distinct reporters still count apart
    assert all(r.startswith("r-") and "138" not in r for r in reporters)
    assert "13812345678" not in (tmp_path / "t.duckdb").read_bytes().decode("latin-1")
    store.upsert(_frame(["d"]).assign(reporter="13812345678"), source="y")  # the same key on the next ingest
    assert store.tickets().set_index("id").at["d", "reporter"] == reporters[0]


def test_another_store_gives_other_pseudonyms(tmp_path: Path) -> None:
    frame = _frame(["a"]).assign(reporter="13812345678")
    one, two = TicketStore(tmp_path / "1.duckdb"), TicketStore(tmp_path / "2.duckdb")
    one.upsert(frame, source="x")
    two.upsert(frame, source="x")
    assert one.tickets()["reporter"].iloc[0] != two.tickets()["reporter"].iloc[0]


def _existing(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    frame = _frame(["a"])
    if name.endswith(".parquet"):
        frame.to_parquet(path)
    elif name.endswith(".json"):
        frame.to_json(path, orient="records", lines=True, date_format="iso")
    else:
        frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("name", ["existing.csv", "existing.parquet", "existing.json", "noextension"])
def test_an_existing_file_that_is_no_store_is_refused_and_left_alone(tmp_path: Path, name: str) -> None:
    path = _existing(tmp_path, name)
    before = path.read_bytes()
    with pytest.raises(InputError, match="not a DuckDB database"):
        TicketStore(path).upsert(_frame(["b"]), source="x")
    with pytest.raises(InputError, match="not a DuckDB database"):
        TicketStore(path).tickets()
    assert path.read_bytes() == before


def test_memory_a_directory_and_a_data_file_name_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="in-memory database"):
        TicketStore(":memory:").upsert(_frame(["a"]), source="x")
    with pytest.raises(InputError, match="got a directory"):
        TicketStore(tmp_path).upsert(_frame(["a"]), source="x")
    with pytest.raises(InputError, match=r"got a \.csv name.*new\.duckdb"):
        TicketStore(tmp_path / "new.csv").upsert(_frame(["a"]), source="x")
    assert not (tmp_path / "new.csv").exists()


def test_a_duckdb_file_made_elsewhere_is_refused(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "other.duckdb"
    conn = duckdb.connect(str(path))
    conn.execute("CREATE TABLE sales (x INTEGER)")
    conn.close()
    with pytest.raises(InputError, match="made by 'hotline ingest'"):
        TicketStore(path).upsert(_frame(["a"]), source="x")


def test_a_store_of_the_earlier_version_is_still_read_and_written(tmp_path: Path) -> None:
    import duckdb

    from trends.store import _SCHEMA

    path = tmp_path / "old.duckdb"
    conn = duckdb.connect(str(path))
    conn.execute(_SCHEMA.split(";")[0])  # the tickets table alone, as stores were made before hotline_meta
    conn.close()
    store = TicketStore(path)
    assert store.count() == 0
    store.upsert(_frame(["a"]).assign(reporter="u1"), source="x")
    assert store.count() == 1 and store.tickets()["reporter"].iloc[0].startswith("r-")
