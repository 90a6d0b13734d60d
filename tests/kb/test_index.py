from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from demo.kb import CONFUSABLE, DemoKb, synthetic_entries
from kb.entries import validate_entries
from kb.index import (
    _COMMON,
    _POOL,
    KbIndex,
    _tfidf,
    build_file,
    build_index,
    load_index,
    save_index,
    to_moment,
)
from nlp.errors import BundleError
from nlp.text import clean


def _top(index: KbIndex, text: str, asked_at: str | None = None) -> list[str]:
    shown = index.suggested(index.rank(text, at=to_moment(asked_at)), 3)
    return index.entries["id"].to_numpy()[shown.rows].tolist()


def test_confusable_pairs_are_told_apart_by_the_details(demo: DemoKb, demo_index: KbIndex) -> None:
    """Every test query of a confusable pair whose answer is one of the pair ranks it above the other."""
    topic_of = dict(zip(demo.entries["id"], demo.entries["topic"], strict=True))
    pair_of = {a: b for a, b in CONFUSABLE} | {b: a for a, b in CONFUSABLE}
    id_of = {t: i for i, t in zip(demo.entries["id"], demo.entries["topic"], strict=True)}
    queries = demo.test[demo.test["kind"] == "confusable"]
    right = 0
    for text, gold in zip(queries["text"], queries["gold"], strict=True):
        ranked = demo_index.rank(text)
        order = demo_index.entries["id"].to_numpy()[ranked.rows].tolist()
        twin = id_of[pair_of[topic_of[gold]]]
        right += gold in order and (twin not in order or order.index(gold) < order.index(twin))
    assert right / len(queries) >= 0.85


def test_hand_made_pairs() -> None:
    entries = validate_entries(
        pd.DataFrame(
            {
                "id": ["first", "replace", "rent", "buy"],
                "question": [
                    "首次申领社会保障卡需要哪些材料？",
                    "社会保障卡遗失后如何补办？",
                    "租房如何提取住房公积金？",
                    "购房如何提取住房公积金？",
                ],
                "answer": ["带身份证到网点申领。", "先挂失再补卡。", "提供租赁合同。", "提供购房合同。"],
            }
        )
    )
    index = build_index(entries)  # no labelled queries: calibrated on queries made from the entries
    assert _top(index, "我社保卡弄丢了，怎么补办")[:1] == ["replace"]
    assert _top(index, "第一次申领社保卡要什么材料")[:1] == ["first"]
    assert _top(index, "我买了房，公积金怎么提取")[:1] == ["buy"]
    assert _top(index, "我在外面租房，公积金怎么提取")[:1] == ["rent"]


def test_abstains_on_most_unanswerable_queries(demo: DemoKb, demo_index: KbIndex) -> None:
    queries = demo.test[demo.test["gold"] == ""]
    abstained = [not _top(demo_index, t, at) for t, at in zip(queries["text"], queries["asked_at"], strict=True)]
    assert np.mean(abstained) >= 0.8
    answerable = demo.test[demo.test["gold"] != ""]
    shown = [bool(_top(demo_index, t, at)) for t, at in zip(answerable["text"], answerable["asked_at"], strict=True)]
    assert np.mean(shown) >= 0.8  # abstaining on everything would pass the first check


def test_expired_and_superseded_entries_are_never_suggested(demo: DemoKb, demo_index: KbIndex) -> None:
    start, end = demo_index.start, demo_index.end
    checked = 0
    for text, at in zip(demo.test["text"], demo.test["asked_at"], strict=True):
        moment = to_moment(at)
        ranked = demo_index.rank(text, at=moment)
        assert ((start[ranked.rows] <= moment) & (moment < end[ranked.rows])).all()
        checked += len(ranked.rows)
    assert checked > 0
    # The same question at two times gets the version valid at each.
    versions = demo.entries[demo.entries["topic"] == "covid_arrival"]["id"].tolist()
    assert _top(demo_index, "下周从上海回苏州，需要做核酸吗", "2022-03-10")[:1] == [versions[0]]
    assert _top(demo_index, "下周从上海回苏州，需要做核酸吗", "2022-07-10")[:1] == [versions[1]]
    assert _top(demo_index, "下周从上海回苏州，需要做核酸吗", "2023-01-10")[:1] == [versions[2]]
    # After the festival subsidy expired, nothing answers it.
    festival = demo.entries[demo.entries["topic"] == "festival_subsidy"]["id"].tolist()
    assert _top(demo_index, "春节留在苏州过年有补贴吗", "2022-02-01")[:1] == festival
    assert not set(_top(demo_index, "春节留在苏州过年有补贴吗", "2022-03-05")) & set(festival)


def test_round_trip_and_refusals(demo_index: KbIndex, tmp_path: Path) -> None:
    target = save_index(demo_index, tmp_path / "index")
    loaded = load_index(target)
    text = "我的驾照弄丢了，去哪里补"
    before, after = demo_index.rank(text), loaded.rank(text)
    assert before.rows.tolist() == after.rows.tolist()
    assert np.allclose(before.scores, after.scores)
    assert loaded.threshold == demo_index.threshold

    payload = target / "index.joblib"
    payload.write_bytes(payload.read_bytes()[:-1] + b"\0")
    with pytest.raises(BundleError, match="SHA-256"):
        load_index(target)

    save_index(demo_index, target)
    sidecar = target / "index.json"
    meta = json.loads(sidecar.read_text(encoding="utf-8"))
    sidecar.write_text(json.dumps({**meta, "schema": 99}), encoding="utf-8")
    with pytest.raises(BundleError, match="expected schema 1"):
        load_index(target)
    sidecar.write_text(json.dumps({**meta, "format": "something-else"}), encoding="utf-8")
    with pytest.raises(BundleError, match="expected format"):
        load_index(target)
    with pytest.raises(BundleError, match=r"no index\.json"):
        load_index(tmp_path)


def test_rebuild_reports_changes_by_id(demo: DemoKb, tmp_path: Path) -> None:
    entries = demo.entries.drop(columns="topic")
    first, queries = tmp_path / "entries.csv", tmp_path / "queries.csv"
    entries.to_csv(first, index=False)
    demo.calibration.to_csv(queries, index=False)
    _, changes = build_file(first, tmp_path / "index", queries=queries)
    assert changes is None
    edited = entries[entries["id"] != "SZ0003"].copy()
    edited.loc[edited["id"] == "SZ0001", "answer"] = "首次申领社保卡免费，携带身份证到网点办理。"
    edited = pd.concat(
        [edited, pd.DataFrame([{"id": "NEW1", "question": "如何办理老年卡？", "answer": "到社区办理。"}])]
    )
    second = tmp_path / "entries2.csv"
    edited.fillna("").to_csv(second, index=False)
    gold_kept = demo.calibration[demo.calibration["gold"] != "SZ0003"]
    gold_kept.to_csv(queries, index=False)
    _, changes = build_file(second, tmp_path / "index", queries=queries)
    assert changes is not None
    assert (changes.added, changes.changed, changes.removed) == (1, 1, 1)
    assert changes.unchanged == len(entries) - 2
    loaded = load_index(tmp_path / "index")
    assert "NEW1" in set(loaded.entries["id"]) and "SZ0003" not in set(loaded.entries["id"])
    assert loaded.meta["changes"]["added"] == 1


def test_an_index_is_signed_and_a_payload_with_a_recomputed_hash_is_refused(
    demo_index: KbIndex, tmp_path: Path
) -> None:
    import hashlib
    import pickle

    target = save_index(demo_index, tmp_path / "index")
    meta = json.loads((target / "index.json").read_text(encoding="utf-8"))
    assert meta["signature"].startswith("hmac-sha256:")
    marker = tmp_path / "ran"

    class Runs:  # unpickling this runs a command
        def __reduce__(self) -> tuple[object, tuple[str, ...]]:
            return (os.system, (f"touch {marker}",))

    payload = target / "index.joblib"
    payload.write_bytes(pickle.dumps(Runs()))
    meta["payload"]["sha256"] = hashlib.sha256(payload.read_bytes()).hexdigest()
    (target / "index.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(BundleError, match="signature does not match"):
        load_index(target)
    assert not marker.exists()


# -- the fast scoring path against a dense reference ------------------------------------------


@pytest.fixture(scope="module")
def mixed_index(demo: DemoKb) -> KbIndex:
    """The demo entries and templated ones: many entries share terms and tie on scores, as at scale."""
    generated = synthetic_entries(300, seed=1)
    entries = pd.concat([demo.entries.drop(columns="topic"), generated], ignore_index=True).fillna("")
    return build_index(validate_entries(entries), calibration=demo.calibration)


def _dense_reference(index: KbIndex, text: str, at: int | None, exclude: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Candidates and fused scores computed the plain way: dense score vectors over every entry, then sorting.

    Returns the rows best first and their scores; ties in a scorer's pool are cut by row.
    """
    cleaned = index.expander(clean(text))
    content = index.tokenizer.content_tokens(cleaned)
    vocab = index.bm25.vocab_dict
    ids = [vocab[t] for t in content if t in vocab]
    scores = index.bm25.scores
    n, n_terms = len(index), len(scores["indptr"]) - 1  # bm25s' vocabulary also holds the empty token
    bm25_matrix = sparse.csc_matrix((scores["data"], scores["indices"], scores["indptr"]), shape=(n, n_terms))
    matrices = {
        "bm25": bm25_matrix.toarray().astype(np.float64),
        "word": index.word_rows.toarray(),
        "char": index.char_rows.toarray().astype(np.float64),
        "full": index.full_rows.toarray(),
    }
    queries = {
        "bm25": np.bincount(ids, minlength=n_terms).astype(np.float64),
        "word": _tfidf([ids], index.word_idf).toarray()[0],
        "char": index.char.transform([cleaned]).toarray()[0].astype(np.float64),
        "full": _tfidf([ids], index.full_idf).toarray()[0],
    }
    allowed = np.ones(n, dtype=bool)
    if at is not None:
        allowed &= (index.start <= at) & (at < index.end)
    allowed[exclude] = False
    pool: set[int] = set()
    for name in ("bm25", "word", "char"):
        matrix, query = matrices[name], queries[name]
        common = (matrix > 0).sum(axis=0) > max(_COMMON * n, 50)
        values = matrix @ np.where(common, 0.0, query)
        rows = np.flatnonzero((values > 0) & allowed)
        order = np.lexsort((rows, -values[rows]))  # highest first, then the first rows
        pool.update(rows[order[:_POOL]].tolist())
    rows = np.array(sorted(pool), dtype=np.int64)
    if len(rows) == 0:
        return rows, np.zeros(0)
    bm25 = matrices["bm25"][rows] @ queries["bm25"]
    cover = {}
    for name in ("word", "char", "full"):
        entry, query = matrices[name][rows], queries[name]
        shared = (entry != 0) & (query != 0)
        cover[name] = (entry @ query, (entry**2 * shared).sum(axis=1), (query**2 * shared).sum(axis=1))
    known = len(ids) / len(content) if content else 0.0

    def rank_of(values: np.ndarray) -> np.ndarray:
        return np.argsort(np.argsort(-values, kind="stable"), kind="stable").astype(np.float64)

    features = np.column_stack(
        [
            bm25 / (bm25.max() if bm25.max() > 0 else 1.0),
            np.log1p(bm25),
            cover["word"][0],
            cover["char"][0],
            cover["word"][1],
            cover["char"][1],
            cover["word"][2],
            cover["char"][2],
            cover["word"][0] - cover["word"][0].max(),
            cover["char"][0] - cover["char"][0].max(),
            1 / (1 + rank_of(bm25)),
            1 / (1 + rank_of(cover["char"][0])),
            *cover["full"],
            np.full(len(rows), known),
            cover["full"][2] * known,
        ]
    )
    assert index.ranker is not None
    fused = index.ranker.predict_proba(features)[:, 1]
    order = np.argsort(-fused, kind="stable")
    return rows[order], fused[order]


def test_fast_scoring_matches_a_dense_reference(demo: DemoKb, mixed_index: KbIndex) -> None:
    """Same candidates, same order, same scores (to float rounding) as dense products and sorts over every entry."""
    compared = cut = 0
    for i, (text, asked) in enumerate(zip(demo.test["text"], demo.test["asked_at"], strict=True)):
        at = to_moment(asked) if i % 2 else None  # with and without a validity filter
        exclude: list[int] = []
        if i % 3 == 0:  # leave-one-out, as the benchmarks do: the reference's best is left out
            best, _ = _dense_reference(mixed_index, text, at, [])
            exclude = best[:1].tolist()
        want_rows, want_scores = _dense_reference(mixed_index, text, at, exclude)
        got = mixed_index.rank(text, at=at, exclude=exclude)
        np.testing.assert_allclose(got.scores, want_scores, rtol=1e-6, atol=1e-9, err_msg=text)
        np.testing.assert_array_equal(got.rows, want_rows, err_msg=text)
        compared += len(want_rows)
        cut += len(want_rows) > _POOL
    assert compared > 0
    assert cut > 0  # some pools were cut, so the selection among many matches was exercised


def test_the_abstain_target_trades_answered_against_abstained(demo: DemoKb) -> None:
    entries = validate_entries(demo.entries.drop(columns="topic"))
    answerable = demo.test["gold"] != ""

    def abstained(index: KbIndex) -> tuple[float, float]:
        empty = np.array(
            [not _top(index, t, at) for t, at in zip(demo.test["text"], demo.test["asked_at"], strict=True)]
        )
        return float(empty[answerable].mean()), float(empty[~answerable].mean())

    strict = build_index(entries, calibration=demo.calibration, abstain_target=0.95)
    lenient = build_index(entries, calibration=demo.calibration, abstain_target=0.6)
    assert strict.threshold > lenient.threshold
    (strict_answerable, strict_unanswerable), (lenient_answerable, lenient_unanswerable) = (
        abstained(strict),
        abstained(lenient),
    )
    assert strict_unanswerable > lenient_unanswerable and strict_answerable > lenient_answerable
    assert strict.meta["calibration"]["abstain_target"] == 0.95
    with pytest.raises(ValueError, match="abstain_target"):
        build_index(entries, abstain_target=0.0)


def test_the_index_abstains_on_its_list_confidence(demo_index: KbIndex) -> None:
    """The abstainer reads the whole list: what suggested() compares with the threshold is the confidence."""
    assert demo_index.abstainer is not None
    ranked = demo_index.rank("我的驾照弄丢了，怎么补办")
    assert ranked.confidence >= demo_index.threshold and len(demo_index.suggested(ranked, 3).rows) > 0
    doubtful = type(ranked)(ranked.rows, ranked.scores, ranked.tokens, confidence=demo_index.threshold / 2)
    assert len(demo_index.suggested(doubtful, 3).rows) == 0  # the same list, not confident enough
