from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

import trends.digest
from trends.digest import build_digest
from trends.schema import Digest
from trends.store import TicketStore
from trends.summary import SummaryCache, mining_identity, summarise_week
from trends.topics import TopicParams


@pytest.fixture()
def mined(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records the week of every summarise_week call the digest makes."""
    calls: list[str] = []

    def counting(label, tickets, tokenizer, params):  # type: ignore[no-untyped-def]
        calls.append(label)
        return summarise_week(label, tickets, tokenizer, params)

    monkeypatch.setattr(trends.digest, "summarise_week", counting)
    return calls


def _cache(tmp_path: Path, tokenizer) -> SummaryCache:  # type: ignore[no-untyped-def]
    return SummaryCache(tmp_path / "weeks", mining_identity(tokenizer, TopicParams()))


def _comparable(digest: Digest) -> list[tuple]:
    return [(t.id, t.label, t.size, t.heat, t.emerging, t.weekly_counts) for t in digest.topics]


def test_a_cached_digest_equals_a_fresh_one_and_mines_nothing(stream, tokenizer, tmp_path: Path, mined) -> None:
    frame, _ = stream
    fresh = build_digest(frame, "2022-W18", tokenizer)
    assert len(mined) == 8
    cache = _cache(tmp_path, tokenizer)
    build_digest(frame, "2022-W18", tokenizer, cache=cache)
    assert len(mined) == 16 and len([e for e in cache.folder.iterdir() if not e.name.startswith(".")]) == 8
    again = build_digest(frame, "2022-W18", tokenizer, cache=cache)
    assert len(mined) == 16, "every week came from the cache"
    assert _comparable(again) == _comparable(fresh)


def test_next_weeks_digest_mines_only_the_new_week(stream, tokenizer, tmp_path: Path, mined) -> None:
    frame, _ = stream
    cache = _cache(tmp_path, tokenizer)
    build_digest(frame, "2022-W18", tokenizer, cache=cache)
    mined.clear()
    following = build_digest(frame, "2022-W19", tokenizer, cache=cache)
    assert mined == ["2022-W19"]
    assert _comparable(following) == _comparable(build_digest(frame, "2022-W19", tokenizer))


def test_a_changed_week_is_mined_again_and_its_old_entry_dropped(stream, tokenizer, tmp_path: Path, mined) -> None:
    frame, _ = stream
    cache = _cache(tmp_path, tokenizer)
    build_digest(frame, "2022-W18", tokenizer, cache=cache)
    late = frame.copy()
    row = late.index[late["created_at"].dt.isocalendar().week == 14][0]
    late.loc[row, "text"] = "补充：小区停水三天了"  # a ticket of W14 edited after the week was mined
    mined.clear()
    build_digest(late, "2022-W18", tokenizer, cache=cache)
    assert mined == ["2022-W14"]
    assert len(list(cache.folder.glob("2022-W14-*"))) == 1


def test_an_unreadable_entry_is_mined_again(stream, tokenizer, tmp_path: Path, mined) -> None:
    frame, _ = stream
    cache = _cache(tmp_path, tokenizer)
    build_digest(frame, "2022-W18", tokenizer, cache=cache)
    (entry,) = cache.folder.glob("2022-W15-*")
    (entry / "summary.json").write_text("{not json", encoding="utf-8")
    mined.clear()
    digest = build_digest(frame, "2022-W18", tokenizer, cache=cache)
    assert mined == ["2022-W15"] and digest.topics
    assert json.loads(next(cache.folder.glob("2022-W15-*/summary.json")).read_text(encoding="utf-8"))["ticket_ids"]


def test_a_cache_that_cannot_be_written_costs_only_time(stream, tokenizer, tmp_path: Path) -> None:
    frame, _ = stream
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    digest = build_digest(frame, "2022-W18", tokenizer, cache=SummaryCache(blocked / "weeks", "x"))
    assert digest.topics


def test_other_mining_parameters_do_not_share_entries(tokenizer) -> None:
    assert mining_identity(tokenizer, TopicParams()) != mining_identity(tokenizer, TopicParams(min_size=6))


def test_store_key_changes_with_the_tickets_not_with_reingesting(stream, tmp_path: Path) -> None:
    frame, _ = stream
    store = TicketStore(tmp_path / "t.duckdb")
    store.upsert(frame, source="a.csv")
    since, until = pd.Timestamp("2022-04-04"), pd.Timestamp("2022-04-11")
    key = store.content_key(since, until)
    store.upsert(frame, source="a.csv")
    assert store.content_key(since, until) == key
    store.upsert(pd.DataFrame({"id": ["late"], "created_at": [since], "text": ["停水"]}), source="b.csv")
    assert store.content_key(since, until) not in (key, None)
    assert store.content_key(pd.Timestamp("2030-01-07"), pd.Timestamp("2030-01-14")) is None


def test_digest_from_the_store_reads_week_by_week(stream, tokenizer, tmp_path: Path) -> None:
    frame, _ = stream
    store = TicketStore(tmp_path / "t.duckdb")
    store.upsert(frame, source="a.csv")
    digest = build_digest(store, "2022-W18", tokenizer, cache=_cache(tmp_path, tokenizer))
    assert digest.n_tickets == int((frame["created_at"].dt.strftime("%G-W%V") == "2022-W18").sum())
    assert digest.topics and len(digest.history.weeks) == 8


def test_two_digests_needing_the_same_week_mine_it_once(stream, tokenizer, tmp_path: Path, monkeypatch) -> None:
    frame, _ = stream
    calls: list[str] = []

    def slow(label, tickets, tokenizer, params):  # type: ignore[no-untyped-def]
        calls.append(label)
        time.sleep(0.3)  # long enough for the other digest to reach the same week meanwhile
        return summarise_week(label, tickets, tokenizer, params)

    monkeypatch.setattr(trends.digest, "summarise_week", slow)
    digests: list[dict] = []
    threads = [
        threading.Thread(
            target=lambda: digests.append(build_digest(frame, "2022-W18", tokenizer, cache=_cache(tmp_path, tokenizer)))
        )
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(calls) == sorted(set(calls)) and len(calls) == 8, "each week mined once"
    assert len(digests) == 2 and _comparable(digests[0]) == _comparable(digests[1])


def test_the_week_lock_makes_a_second_miner_wait(tmp_path: Path, tokenizer) -> None:
    cache = _cache(tmp_path, tokenizer)
    entered = threading.Event()

    def second() -> None:
        with cache.mining("2022-W18"):
            entered.set()

    with cache.mining("2022-W18"):
        waiter = threading.Thread(target=second)
        waiter.start()
        assert not entered.wait(0.3), "the second miner got in while the first held the week"
    assert entered.wait(5)
    waiter.join()
    with cache.mining("2022-W19"):  # another week is not held up
        pass
