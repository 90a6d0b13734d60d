from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from demo.kb import DemoKb
from kb.index import KbIndex, build_index, save_index
from kb.suggest import suggest, suggest_file
from kb.tickets import answered_entries


def test_suggestion_carries_the_entry_and_why(demo_index: KbIndex) -> None:
    found = suggest(demo_index, "我的驾照弄丢了，去哪里补", asked_at="2022-05-01 10:00", k=3)
    assert found, "a plain answerable question"
    best = found[0]
    row = demo_index.entries.set_index("id").loc[best.entry_id]
    assert (best.question, best.answer, best.department) == (row["question"], row["answer"], row["department"])
    assert "驾驶证" in best.question and best.source == "kb"
    assert {"驾驶证", "遗失"} <= set(best.shared_terms)  # official terms of the colloquial 驾照, 丢了
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)
    assert suggest(demo_index, "家里的狗要打狂犬疫苗，去哪里打", asked_at="2022-05-01") == []


def test_answered_tickets_are_a_second_source(demo_index: KbIndex) -> None:
    raw = pd.DataFrame(
        {
            "id": ["t1", "t2", "t3"],
            "title": ["小区停水", "路灯不亮", "没有答复"],
            "text": ["我家小区停水三天了，电话13912345678，什么时候来水？", "门口路灯坏了一个月", "还没有人回复"],
            "reply": ["经核实，管网维修，已于当天恢复供水。", "已通知路灯管理处维修。", ""],
        }
    )
    entries = answered_entries(raw)
    assert entries["id"].tolist() == ["t1", "t2"]  # a ticket without a reply is no answer
    assert entries["line"].tolist() == [2, 3]
    assert "13912345678" not in entries["question"].iloc[0]  # shown to operators: personal data masked
    tickets = build_index(entries, source="answered_ticket")
    found = suggest([demo_index, tickets], "我们小区又停水了，什么时候恢复供水", asked_at="2022-05-01")
    assert [s.entry_id for s in found][:1] == ["t1"]
    assert found[0].source == "answered_ticket"


def test_k_must_be_positive(demo_index: KbIndex) -> None:
    with pytest.raises(ValueError, match="k >= 1"):
        suggest(demo_index, "社保卡", k=0)


def test_suggest_file_writes_a_json_column(demo: DemoKb, demo_index: KbIndex, tmp_path: Path) -> None:
    index_dir = save_index(demo_index, tmp_path / "index")
    tickets = pd.DataFrame(
        {
            "ticket": ["a", "b", "c", "d"],
            "text": ["我的驾照弄丢了，去哪里补", "家里的狗要打狂犬疫苗", "", "春节留在苏州过年有补贴吗"],
            "when": ["2022-05-01 09:00", "2022-05-01 09:00", "", "2022-03-05 09:00"],
        }
    )
    source = tmp_path / "tickets.csv"
    tickets.to_csv(source, index=False)
    counts = suggest_file(index_dir, source, tmp_path / "out.csv", id_col="ticket", time_col="when", k=2)
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert out.columns.tolist() == ["ticket", "suggestions"]
    assert out["ticket"].tolist() == ["a", "b", "c", "d"]
    cells = [json.loads(c) for c in out["suggestions"]]
    assert all(isinstance(c, list) and len(c) <= 2 for c in cells)
    first = cells[0]
    assert first and all(isinstance(e, str) and isinstance(s, float) for e, s in first)
    assert [s for _, s in first] == sorted((s for _, s in first), reverse=True)
    assert "驾驶证" in demo_index.entries.set_index("id").loc[first[0][0], "question"]
    assert cells[1] == [] and cells[2] == []  # unanswerable; empty text
    festival = set(demo.entries.loc[demo.entries["topic"] == "festival_subsidy", "id"])
    assert not {e for e, _ in cells[3]} & festival  # asked after the subsidy expired
    assert counts == {"rows": 4, "suggested": sum(bool(c) for c in cells), "empty": 1}
