from __future__ import annotations

import pytest

from nlp.tokenize import BACKENDS, default_tokenizer
from trends.topics import extract_locations

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
