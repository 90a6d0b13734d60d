from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nlp.errors import InputError
from trends.store import TicketStore


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
