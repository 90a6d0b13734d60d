from __future__ import annotations

import numpy as np
import pytest

from demo.corpus import generate
from nlp.tokenize import BACKENDS, default_tokenizer
from trends.topics import TopicParams, _split_catch_alls, extract_locations, find_topics

# Each text names one real place and one clause that ends in a place word.
TEXTS = [
    "香樟湾小区封控以后居民可以出小区买菜吗",
    "郭巷街道隔离期间社区不让出门",
    "现代大道积水严重，请尽快修复路面，尽快修复路",
    "解放路上新开的小区没有公交",
]


@pytest.mark.parametrize("backend", BACKENDS)
def test_clauses_that_end_in_a_place_word_are_not_places(backend: str) -> None:
    places = set(extract_locations(TEXTS * 2, top=20, tokenizer=default_tokenizer(backend)))
    assert {"香樟湾小区", "郭巷街道", "现代大道"} <= places
    assert not places & {"民可以出小区", "隔离期间社区", "尽快修复路", "新开的小区"}


def test_without_a_tagger_the_clauses_come_through() -> None:
    # What the tagger is for: the place pattern alone cannot tell a clause from a name.
    places = set(extract_locations(TEXTS * 2, top=20))
    assert places & {"民可以出小区", "隔离期间社区", "尽快修复路"}


def test_known_districts_are_districts_and_generic_words_are_not() -> None:
    texts = ["相城区元和街道的车位捆绑销售", "工业园区星海小区停水", "老城区的路灯不亮", "市城区停车难"] * 2
    places = set(extract_locations(texts, top=20, tokenizer=default_tokenizer()))
    assert {"相城区", "元和街道", "苏州工业园区", "星海小区"} <= places  # 工业园区 by its gazetteer name
    assert not places & {"老城区", "市城区", "城区", "工业园区"}


def test_places_of_the_gazetteer_by_their_canonical_names() -> None:
    texts = [
        "横塘有工地夜间施工",
        "横塘街道的工地又在施工",
        "高新区横塘那边的工地",
        "拙政园门口拉客",
        "虎丘景区门口拉客",
    ] * 2
    # 横塘 and 横塘街道 count as one street; 虎丘景区 is the landmark 虎丘, 高新区 the district 虎丘区.
    assert extract_locations(texts, top=20) == ["横塘街道", "拙政园", "虎丘", "虎丘区"]


def test_places_named_equally_often_come_in_name_order() -> None:
    # Candidates are gathered in sets, whose order changes from run to run; ties must not.
    texts = ["紫薇雅苑旁边的东方花园停水", "东方花园和紫薇雅苑都停水", "吴江区的星海小区"]
    places = extract_locations(texts, top=3, tokenizer=default_tokenizer())
    assert places == sorted(["紫薇雅苑", "东方花园"])


@pytest.mark.parametrize("backend", BACKENDS)
def test_shops_and_markets_ending_in_shi_are_not_districts(backend: str) -> None:
    texts = ["恒远超市卖过期食品，昆山市市场监管局", "星湖超市和菜市场都在姑苏区", "恒远超市门口乱停车，在昆山市"] * 2
    places = set(extract_locations(texts, top=20, tokenizer=default_tokenizer(backend)))
    assert {"昆山市", "姑苏区"} <= places  # one word each, or a name and the bare suffix
    assert not places & {"恒远超市", "星湖超市", "远超市"}  # their last word is 超市


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _catch_all(n_alike: int, n_loners: int, seed: int = 0) -> np.ndarray:
    """``n_alike`` tickets close to one direction, then ``n_loners`` each like no other (their own direction)."""
    rng = np.random.default_rng(seed)
    dims = 1 + n_loners
    alike = np.zeros((n_alike, dims))
    alike[:, 0] = 1
    alike += rng.normal(0, 0.1, alike.shape)
    loners = np.eye(dims)[1:] + rng.normal(0, 0.05, (n_loners, dims))
    return _unit(np.vstack([alike, loners]))


def test_a_topic_inside_a_catch_all_is_split_out() -> None:
    vectors = _catch_all(6, 18)
    params = TopicParams()
    together = np.zeros(len(vectors), dtype=int)  # k-means put them all in one cluster
    centre = _unit(vectors.mean(axis=0, keepdims=True))[0]
    assert (vectors @ centre).mean() < params.min_coherence  # a catch-all: find_topics would drop it whole
    labels = _split_catch_alls(together, vectors, np.arange(len(vectors)), params)
    alike = set(labels[:6].tolist())
    assert len(alike) == 1 and not alike & set(labels[6:].tolist())


@pytest.mark.parametrize(
    ("case", "vectors"),
    [
        ("a coherent topic", _catch_all(10, 0)),
        ("a catch-all too small to hold a topic", _catch_all(2, 2)),
    ],
)
def test_other_clusters_are_left_alone(case: str, vectors: np.ndarray) -> None:
    labels = np.array([0] * len(vectors) + [1] * 3)
    padded = np.vstack([vectors, np.zeros((3, vectors.shape[1]))])
    padded[-3:, 0] = 1  # a second, coherent cluster of 3
    assert _split_catch_alls(labels, padded, np.arange(len(labels)), TopicParams()).tolist() == labels.tolist(), case


def test_a_thin_weeks_surge_is_not_lost_in_a_catch_all() -> None:
    """The demo's construction noise starts with 6 tickets among 95 (seed 3): k-means put them in a catch-all."""
    frame, _ = generate(n=1200, weeks=12, seed=3)
    week = frame[frame["created_at"].dt.strftime("%G-W%V") == "2022-W13"]
    noise = set(week.loc[week["topic"] == "site_noise", "id"])
    assert len(noise) >= 5
    found = find_topics(week, default_tokenizer())
    assert any(len(noise & set(t.ticket_ids)) >= 5 for t in found), [t.label for t in found]


def test_a_week_larger_than_the_svd_sample_keeps_its_topics() -> None:
    """Past ``svd_fit_rows`` distinct tickets the SVD is fitted on a sample and every ticket projected."""
    frame, _ = generate(n=1200, weeks=12, seed=3)
    week = frame[frame["created_at"].dt.strftime("%G-W%V") == "2022-W13"]
    noise = set(week.loc[week["topic"] == "site_noise", "id"])
    sampled = find_topics(week, default_tokenizer(), TopicParams(svd_fit_rows=60))
    assert sum(t.size for t in sampled) >= len(week) // 2  # most tickets still fall in a topic
    assert any(len(noise & set(t.ticket_ids)) >= 5 for t in sampled), [t.label for t in sampled]
