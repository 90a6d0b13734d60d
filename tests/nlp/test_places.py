from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from nlp.errors import InputError
from nlp.places import (
    PLATFORMS,
    Place,
    PlaceFeatures,
    PlaceMatch,
    PlaceResolver,
    builtin_places,
    find_places,
    load_custom_places,
    resolve_ticket,
)
from nlp.places import resolver as resolver_module
from nlp.places.resolver import place_key


def _one(text: str) -> tuple[str, str, str, str]:
    """(written, canonical, level, district) of the only place in ``text``."""
    matches = find_places(text)
    assert len(matches) == 1, [(m.text, m.name) for m in matches]
    m = matches[0]
    return m.text, m.name, m.level, m.district


def test_the_gazetteer_holds_suzhou() -> None:
    places = builtin_places()
    levels = pd.Series([p.level for p in places if p.source == "gazetteer"]).value_counts()
    assert sorted(p.name for p in places if p.level == "district") == sorted(PLATFORMS)
    assert levels["street"] == 118
    assert 2200 < levels["community"] <= 2248  # the statistical placeholders (虚拟社区) are left out
    assert {p.district for p in places} == set(PLATFORMS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Aliases of districts.
        ("高新区有人占道经营", ("高新区", "虎丘区", "district", "虎丘区")),
        ("苏州新区一家工厂排放废气", ("苏州新区", "虎丘区", "district", "虎丘区")),
        ("工业园区星海街积水", ("工业园区", "苏州工业园区", "district", "苏州工业园区")),
        ("吴江这边的公交太少", ("吴江", "吴江区", "district", "吴江区")),
        ("原来的沧浪区现在归哪里管", ("沧浪区", "姑苏区", "district", "姑苏区")),
        # Suffixes dropped.
        ("黄埭有个工厂排放废气", ("黄埭", "黄埭镇", "street", "相城区")),
        ("横塘有工地夜间施工", ("横塘", "横塘街道", "street", "虎丘区")),
        ("我住在学府那边，晚上很吵", ("学府", "学府社区", "community", "虎丘区")),
        ("永联村的道路坑洼", ("永联村", "永联村", "landmark", "张家港市")),
        ("十一圩港村委会不作为", ("十一圩港村委会", "十一圩港村", "community", "张家港市")),
        # Landmarks: 虎丘 the scenic spot is in 姑苏区, not 虎丘区.
        ("虎丘景区门口黄牛很多", ("虎丘景区", "虎丘", "landmark", "姑苏区")),
        ("拙政园排队太久", ("拙政园", "拙政园", "landmark", "姑苏区")),
        ("苏州火车站出租车拒载", ("苏州火车站", "苏州站", "landmark", "姑苏区")),
        ("苏州北站停车费太贵", ("苏州北站", "苏州北站", "landmark", "相城区")),
        ("周庄古镇门票", ("周庄古镇", "周庄", "landmark", "昆山市")),
        ("甪直的河道有垃圾", ("甪直", "甪直镇", "street", "吴中区")),  # the town before the landmark 甪直古镇
        ("木渎古镇门票太贵", ("木渎古镇", "木渎古镇", "landmark", "吴中区")),
        ("沙家浜风景区", ("沙家浜风景区", "沙家浜", "landmark", "常熟市")),
    ],
)
def test_names_as_people_write_them(text: str, expected: tuple[str, str, str, str]) -> None:
    assert _one(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "今天天气很好，我想咨询一下公积金提取的流程",
        "太平洋保险理赔太慢了",
        "东南亚进口的水果有没有检疫",
        "城南环境整治什么时候开始",
        "新区建设规划有没有公示",
        "学府路那边的红绿灯时间太短",  # 学府 starts another name (学府路)
        "人民群众的利益无小事",
        "长江以南的城市都很潮湿",
        "我在园区工作的朋友说",  # 园区 alone is any industrial park
        "这个工业园区的企业排污",
        "开发区的企业招聘信息",
        "高新技术企业认定的条件",
        "我对这里非常熟悉",  # 常熟 inside 非常熟悉
        "上海吴江路有一家餐馆",  # a road in Shanghai
        "幸福的生活来之不易，和平年代要珍惜",
        "香山红叶很美",
        "东山再起",
        "凤凰传奇演唱会门票",
        "合同里没有写清楚",  # 同里 (同里古镇)
        "已支付26000元和保险费",  # 元和 (元和街道)
        "镇江东村的村民",  # 东村, a village of 常熟
        "住宅基本农田",  # 宅基, a village
        "建设美丽新农村",  # 新农村, a village
        "向县人民政府申请",  # 人民, a community
        "我们翠山湖社区的健身器材坏了",  # 山湖社区 (常熟, 吴江) inside a community the gazetteer lacks
    ],
)
def test_ordinary_sentences_name_no_place(text: str) -> None:
    assert [(m.text, m.name) for m in find_places(text)] == []


@pytest.mark.parametrize(
    ("text", "written", "districts"),
    [
        ("独墅湖社区的路灯坏了", "独墅湖社区", ("吴中区", "苏州工业园区")),
        ("阳澄湖边上有人非法捕捞", "阳澄湖", ("相城区", "苏州工业园区", "常熟市", "昆山市")),
        ("太湖新城的地铁什么时候通", "太湖新城", ("吴中区", "吴江区")),
    ],
)
def test_a_name_of_several_districts_is_not_guessed(text: str, written: str, districts: tuple[str, ...]) -> None:
    (m,) = find_places(text)
    assert (m.text, m.districts, m.district, m.ambiguous) == (written, districts, "", True)
    ticket = resolve_ticket("", text)
    assert (ticket.district, ticket.districts) == ("", districts)


@pytest.mark.parametrize(
    ("text", "district", "street"),
    [
        ("吴中区独墅湖社区的路灯坏了", "吴中区", "郭巷街道"),
        ("园区娄葑独墅湖社区的路灯坏了", "苏州工业园区", "娄葑街道"),
        ("阳澄湖唯亭段有人非法捕捞", "苏州工业园区", "唯亭街道"),
        ("香山街道有人占道", "吴中区", "香山街道"),
    ],
)
def test_another_place_of_the_ticket_decides(text: str, district: str, street: str) -> None:
    ticket = resolve_ticket("", text)
    assert (ticket.district, ticket.street) == (district, street)


@pytest.mark.parametrize(
    ("title", "text", "district", "how"),
    [
        ("工地夜间施工扰民", "我家住在吴中区，横塘街道有个工地夜间施工", "虎丘区", "two_places"),
        ("噪音", "本人户籍在吴江区，现在昆山市花桥镇的工地晚上施工噪音很大", "昆山市", "two_places"),
        ("道路积水", "我住在姑苏区，每天经过园区星湖街路口都积水", "苏州工业园区", "two_places"),
        ("押金", "我是太仓人，现在在昆山花桥镇租房，房东不退押金", "昆山市", "two_places"),
        ("噪音", "我是吴中区郭巷街道的，狮山街道有个工地噪音很大", "虎丘区", "two_places"),
        ("垃圾", "我是吴中区郭巷街道的，今天路过狮山街道，小区门口的垃圾没人清理", "虎丘区", "two_places"),
        ("黄埭镇工厂排放废气", "我住在相城区，家门口的工厂排放废气", "相城区", "district"),
        ("小区门口积水", "我住在相城区元和街道，小区门口积水", "相城区", "district"),
        ("垃圾没人清理", "横塘街道学府社区门口垃圾没人清理", "虎丘区", "street"),
        ("路灯不亮", "学府社区的路灯坏了", "虎丘区", "community"),
        ("", "拙政园门口有人拉客", "姑苏区", "landmark"),
        ("公积金提取", "请问公积金怎么提取", "", "none"),
    ],
)
def test_the_problem_place_wins(title: str, text: str, district: str, how: str) -> None:
    ticket = resolve_ticket(title, text)
    assert (ticket.district, ticket.how_given) == (district, how)


@pytest.mark.parametrize(
    ("text", "district"),
    [("我在黄桥上班，公司门口的路灯坏了", "相城区"), ("周末去东山玩，景区乱收费", "吴中区"), ("在建设中的小区", "")],
)
def test_going_to_or_being_in_backs_a_street_not_a_community(text: str, district: str) -> None:
    assert resolve_ticket("", text).district == district


@pytest.mark.parametrize(("text", "district"), [("旺山门口有人占道摆摊", "吴中区"), ("横塘门口积水", "虎丘区")])
def test_a_gate_ends_no_name(text: str, district: str) -> None:
    assert resolve_ticket("", text).district == district


@pytest.mark.parametrize(
    "text", ["学府社区门口积水", "我们学府社区", "横塘学府社区", "隔壁学府社区在施工", "苏州学府社区"]
)
def test_a_community_full_name_needs_no_more_than_a_clean_start(text: str) -> None:
    assert [m.name for m in find_places(text)][-1] == "学府社区"


def test_a_caller_who_names_only_home_is_read_as_any_ticket() -> None:
    # Both places are where the caller lives: the one in the clause that names a problem wins.
    ticket = resolve_ticket("", "我家在郭巷街道，也住在木渎镇工地旁边，噪音很大")
    assert all(m.residence for m in ticket.matches) and ticket.problem is not None and ticket.problem.text == "木渎镇"


def test_where_the_caller_lives_beats_where_the_caller_comes_from() -> None:
    ticket = resolve_ticket("", "我户口在吴江区，现在住在狮山街道，楼下的饭店油烟很大")
    assert [(m.residence, m.origin) for m in ticket.matches] == [(True, True), (True, False)]
    assert ticket.district == "虎丘区"
    # In one district, the street where the caller lives refines it, not the one they come from.
    ticket = resolve_ticket("", "户籍在吴中区木渎镇，现在住在吴中区郭巷街道，小区门口积水")
    assert (ticket.district, ticket.street) == ("吴中区", "郭巷街道")


def test_who_the_caller_is_is_a_residence_when_no_verb_stands_between() -> None:
    assert [m.residence for m in resolve_ticket("", "我是太仓人").matches] == [True]
    assert [m.residence for m in resolve_ticket("", "我是来反映太仓市的事").matches] == [False]
    assert [m.residence for m in resolve_ticket("", "我是想问一下太仓市的政策").matches] == [False]
    assert [m.residence for m in resolve_ticket("", "我是吴中区郭巷街道的").matches] == [True, True]


def test_matches_give_level_street_span_and_source() -> None:
    text = "相城区元和街道某小区停水"
    district, street = find_places(text)
    assert (district.level, district.district, district.source) == ("district", "相城区", "gazetteer")
    assert (street.level, street.street, text[street.start : street.end]) == ("street", "元和街道", "元和街道")
    (landmark,) = find_places("观前街人太多")
    assert (landmark.source, landmark.start, landmark.end) == ("landmark", 0, 3)


@pytest.mark.parametrize(
    "text", ["相城区元和街道某小区停水", "我住在独墅湖附近，香山那边施工", "高新区横塘街道学府社区路灯坏了"]
)
def test_a_scanned_match_is_the_match_its_constructor_makes(text: str) -> None:
    # The scan builds matches without __init__ (speed): every attribute, derived ones included,
    # must be what the dataclass itself computes.
    derived = ("districts", "district", "name", "level", "street", "source", "ambiguous")
    for m in find_places(text):
        made = PlaceMatch(m.text, m.start, m.end, m.candidates, m.field, m.strength, m.residence)
        assert m == made
        assert [getattr(m, a) for a in derived] == [getattr(made, a) for a in derived]


# Texts each of the resolver's rules acts on: boundaries, glued aliases, weak and ambiguous
# names, residence, two districts, nested and crossing names, line breaks, nothing at all.
RULE_TEXTS = [
    "",
    "\n",
    "横塘街道\n横塘有人施工",
    "26000元和保险",
    "平江路堵车",
    "吴中木渎有人施工",
    "城南环境很差",
    "镇江东村停电",
    "常熟高新区企业排污",
    "苏州高新区横塘街道噪音",
    "相城工业园区",
    "园区星海街",
    "我住在学府，横塘路口积水",
    "家住吴中区郭巷街道，虎丘区狮山街道工地施工噪音",
    "我是太仓人，现在在昆山花桥镇租房",
    "我们尹山湖社区的健身器材坏了，学府社区门口积水",
    "我是吴中区郭巷街道的居民，小区门口积水",
    "家住郭巷街道，户籍在木渎镇工地旁边",
    "我户口在吴江区，现在住在狮山街道，楼下的饭店油烟很大",
    "我老家在太仓，户籍在昆山",
    "户籍在吴中区木渎镇，现在住在吴中区郭巷街道，小区门口积水",
    "旺山门口有人摆摊，横塘门有人施工",
    "我在黄桥上班，在建设中的小区",
    "香山那边施工",
    "我住在独墅湖附近，香山那边施工",
    "阳澄湖边非法捕捞，唯亭这边",
    "高新区横塘街道学府社区路灯坏了",
    "吴中区郭巷街道独墅湖社区路灯坏了",
    "学府附近",
    "太平",
    "观前街人太多，拙政园门口",
    "昆山市",
    "元和街道停水",
    "公积金怎么提取",
    "通安镇湖街道有人施工",  # crossing names: 通安镇 and 镇湖街道
    "我家在科技城南街道，路灯坏了",
]


def _bulk_and_each(
    texts: list[str], resolver: PlaceResolver, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[object], list[object], dict[str, int]]:
    """(bulk keys, per-ticket keys, how many texts the bulk path took through the rules, and
    through a whole resolve_ticket)."""
    each: list[object] = [place_key(resolve_ticket("", t, resolver=resolver)) for t in texts]
    calls = {"rules": 0, "resolve_ticket": 0}

    def counted(name: str, original: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return original(*args, **kwargs)

        return call

    monkeypatch.setattr(resolver_module, "_resolved", counted("rules", resolver_module._resolved))
    monkeypatch.setattr(resolver_module, "resolve_ticket", counted("resolve_ticket", resolver_module.resolve_ticket))
    return list(resolver.problem_keys(texts)), each, calls


def test_problem_keys_in_bulk_are_each_tickets_own(monkeypatch: pytest.MonkeyPatch) -> None:
    from demo.corpus import generate

    frame = generate(n=3000, weeks=2, seed=7)[0]
    texts = RULE_TEXTS + [f"{t}，{x}" for t, x in zip(frame["title"].fillna(""), frame["text"], strict=True)]
    bulk, each, calls = _bulk_and_each(texts, PlaceResolver(), monkeypatch)
    assert bulk == each
    # Every path ran: tickets decided from their hits alone, tickets whose places needed the
    # rules, and (crossing names) tickets resolved whole.
    assert 0 < calls["rules"] < len(texts) / 2
    assert calls["resolve_ticket"] >= 2
    assert PlaceResolver().problem_keys([]) == []
    # One text at a time (the service's case): hits the rules all drop leave no place.
    assert [PlaceResolver().problem_keys([text])[0] for text in RULE_TEXTS] == each[: len(RULE_TEXTS)]
    monkeypatch.setattr(resolver_module, "BULK_TEXTS", 7)  # a long list goes chunk by chunk
    assert PlaceResolver().problem_keys(texts) == each


def test_problem_keys_in_bulk_with_an_operators_places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "places.csv"
    path.write_text(CUSTOM, encoding="utf-8")
    resolver = PlaceResolver(load_custom_places(path))
    texts = [*RULE_TEXTS, "香樟湾停水", "吴中区香樟湾花园，郭巷街道", "拙政园里人多", "住在香樟湾，拙政园施工"]
    bulk, each, _ = _bulk_and_each(texts, resolver, monkeypatch)
    assert bulk == each
    # A name across a line break (a quoted CSV cell) is never matched, not across two texts either.
    split = PlaceResolver((Place("苏州\n湾", "landmark", "吴中区", source="custom"),))
    assert (
        split.problem_keys(["在苏州", "湾停水"])
        == [place_key(resolve_ticket("", "在苏州\n湾停水", resolver=split))] * 2
    )


CUSTOM = "name,kind,district,street,aliases\n香樟湾花园,estate,吴中区,郭巷街道,香樟湾\n拙政园,scenic,吴江区,,\n"


def test_an_operators_list_extends_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "places.csv"
    path.write_text(CUSTOM, encoding="utf-8")
    custom = load_custom_places(path)
    resolver = PlaceResolver(custom)
    (m,) = find_places("香樟湾停水三天了", resolver=resolver)
    assert (m.name, m.level, m.district, m.street, m.source) == (
        "香樟湾花园",
        "landmark",
        "吴中区",
        "郭巷街道",
        "custom",
    )
    (m,) = find_places("拙政园", resolver=resolver)  # the operator's entry replaces the built-in one
    assert (m.district, m.source) == ("吴江区", "custom")
    assert find_places("香樟湾停水三天了") == []  # the default resolver does not know it


def test_an_operators_list_in_gb18030_reads(tmp_path: Path) -> None:
    path = tmp_path / "places.csv"
    path.write_bytes(CUSTOM.encode("gb18030"))
    assert {p.name for p in load_custom_places(path)} == {"香樟湾花园", "拙政园"}


@pytest.mark.parametrize(
    ("csv", "messages"),
    [
        (
            "name,kind,district\n好邻居超市,mall,苏州\n",
            ["line 2: expected district one of 姑苏区, 虎丘区", "got '苏州'"],
        ),
        (
            "name,kind,district\n,mall,吴中区\nA,mall,吴中区\nB,mall,\n",
            ["2 bad row(s)", "line 2: expected a name", "line 4"],
        ),
        ("name,kind,district\nA,mall,吴中区|浦东新区\n", ["line 2", "got '吴中区|浦东新区'"]),
        ("title,place\nA,吴中区\n", ["expected columns name, kind, district, street, aliases"]),
    ],
)
def test_bad_rows_are_reported_by_line(tmp_path: Path, csv: str, messages: list[str]) -> None:
    path = tmp_path / "places.csv"
    path.write_text(csv, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_custom_places(path)
    for message in messages:
        assert message in str(caught.value)


TICKETS = pd.DataFrame(
    {
        "title": ["工地夜间施工", "", "咨询", None, "香樟湾停水"],
        "text": ["横塘有工地夜间施工", "吴中区独墅湖社区路灯坏了", "公积金怎么提取", "阳澄湖边非法捕捞", "三天没水"],
    }
)


def _columns(features: PlaceFeatures, matrix: object) -> list[dict[str, float]]:
    names = features.get_feature_names_out()
    dense = matrix.toarray()  # type: ignore[attr-defined]
    return [{str(names[j]): float(v) for j, v in enumerate(row) if v} for row in dense]


def test_place_features_one_hot() -> None:
    features = PlaceFeatures().fit(TICKETS)
    rows = _columns(features, features.transform(TICKETS))
    assert rows[0] == {"district=虎丘区": 1.0, "street=横塘街道": 1.0}
    assert rows[1] == {"district=吴中区": 1.0, "street=郭巷街道": 1.0, "community=独墅湖社区": 1.0}
    assert rows[2] == {"place=none": 1.0}
    assert rows[3] == {f"district={d}": 0.25 for d in ("相城区", "苏州工业园区", "常熟市", "昆山市")}
    assert rows[4] == {"place=none": 1.0}
    unseen = pd.DataFrame({"title": [""], "text": ["元和街道停水"]})  # a street not seen in fit: its district only
    assert _columns(features, features.transform(unseen)) == [{"district=相城区": 1.0}]


def test_place_features_pickle_with_their_custom_places(tmp_path: Path) -> None:
    path = tmp_path / "places.csv"
    path.write_text(CUSTOM, encoding="utf-8")
    features = PlaceFeatures(custom_places=load_custom_places(path), levels=("street", "landmark")).fit(TICKETS)
    loaded = pickle.loads(pickle.dumps(features))
    rows = _columns(loaded, loaded.transform(TICKETS))
    assert rows[4] == {"district=吴中区": 1.0, "street=郭巷街道": 1.0, "landmark=香樟湾花园": 1.0}
    assert (loaded.transform(TICKETS) != features.transform(TICKETS)).nnz == 0


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: PlaceFeatures().transform(TICKETS), "call fit first"),
        (lambda: PlaceFeatures().fit(TICKETS[["title"]]), "expected a DataFrame with columns 'title' and 'text'"),
        (lambda: PlaceFeatures(levels=("city",)).fit(TICKETS), "expected levels among"),
    ],
)
def test_place_features_errors(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]
