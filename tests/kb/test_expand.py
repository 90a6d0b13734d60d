from __future__ import annotations

from kb.expand import Expander, load_expansions


def test_longest_match_wins_and_terms_come_once() -> None:
    expander = Expander((("苏州户口", ("本市户籍",)), ("不是苏州户口", ("非本市户籍",)), ("驾照", ("驾驶证",))))
    assert expander.terms("我不是苏州户口") == ["非本市户籍"]
    assert expander.terms("我是苏州户口，驾照和驾照") == ["本市户籍", "驾驶证"]
    assert expander("没有口语词") == "没有口语词"
    assert expander("驾照丢了") == "驾照丢了 驾驶证"


def test_shipped_list_loads() -> None:
    pairs = dict(load_expansions())
    assert pairs["驾照"] == ("驾驶证",)
    assert "外地户籍" in pairs["外地户口"]
