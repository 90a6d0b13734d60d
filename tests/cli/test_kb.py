from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from kb.index import load_index
from tests.helpers import run_cli


def test_build_then_suggest_from_the_demo_knowledge_base(tmp_path: Path, capsys) -> None:
    entries, queries, index = tmp_path / "kb.csv", tmp_path / "queries.csv", tmp_path / "index"
    calibration = tmp_path / "calibration.csv"
    demo = ["demo-kb", "--out", str(entries), "--queries", str(queries), "--calibration", str(calibration)]
    assert run_cli(capsys, *demo)[0] == 0
    build = ["kb", "build", "--entries", str(entries), "--out", str(index), "--queries", str(calibration)]
    code, out, err = run_cli(capsys, *build)
    assert code == 0, err
    assert "built index of" in out
    code, out, err = run_cli(
        capsys, "kb", "suggest", "--index", str(index), "--input", str(queries), "--output", str(tmp_path / "s.csv")
    )
    assert code == 0, err
    result = pd.read_csv(tmp_path / "s.csv", dtype=str, keep_default_na=False)
    gold = pd.read_csv(queries, dtype=str, keep_default_na=False)
    assert len(result) == len(gold)
    suggested = [json.loads(cell) for cell in result["suggestions"]]
    firsts = [s[0][0] if s else "" for s in suggested]
    answerable = gold["gold"] != ""
    hits = sum(f == g for f, g, a in zip(firsts, gold["gold"], answerable, strict=True) if a)
    assert hits / answerable.sum() > 0.7  # the right entry first for most answerable queries
    abstained = sum(not s for s, a in zip(suggested, answerable, strict=True) if not a)
    assert abstained / (~answerable).sum() > 0.6  # and nothing for most queries it cannot answer
    # Rebuilding from the same entries changes nothing, by id.
    code, out, _ = run_cli(capsys, *build)
    assert code == 0 and "0 added, 0 changed, 0 removed" in out
    # The abstain target reaches the calibration: a stricter one raises the threshold.
    default = json.loads((index / "index.json").read_text(encoding="utf-8"))["calibration"]
    assert run_cli(capsys, *build, "--abstain-target", "0.95")[0] == 0
    strict = json.loads((index / "index.json").read_text(encoding="utf-8"))["calibration"]
    assert (default["abstain_target"], strict["abstain_target"]) == (0.75, 0.95)
    assert strict["threshold"] > default["threshold"]
    with pytest.raises(SystemExit) as refused:
        run_cli(capsys, *build, "--abstain-target", "0")
    assert refused.value.code == 2 and "expected a number in (0, 1], got 0.0" in capsys.readouterr().err


def test_missing_index_is_one_line_error(tmp_path: Path, capsys) -> None:
    (tmp_path / "t.csv").write_text("id,text\n1,公积金怎么提取\n", encoding="utf-8")
    code, _out, err = run_cli(
        capsys,
        "kb",
        "suggest",
        "--index",
        str(tmp_path / "nope"),
        "--input",
        str(tmp_path / "t.csv"),
        "--output",
        str(tmp_path / "o.csv"),
    )
    assert code == 2 and err.startswith("hotline: error:") and len(err.strip().splitlines()) == 1


def test_answered_tickets_are_built_from_a_ticket_export(tmp_path: Path, capsys) -> None:
    export = pd.DataFrame(
        {
            "编号": ["t1", "t2", "t3"],
            "主题": ["小区停水", "路灯不亮", "没有答复"],
            "详情": ["我家小区停水三天了，电话13912345678，什么时候来水？", "门口路灯坏了一个月", "还没有人回复"],
            "答复意见": ["经核实，管网维修，已于当天恢复供水。", "已通知路灯管理处维修。", ""],
        }
    )
    export.to_csv(tmp_path / "answered.csv", index=False)
    build = ["kb", "build", "--answered-tickets", "--entries", str(tmp_path / "answered.csv")]
    build += ["--out", str(tmp_path / "index"), "--id-col", "编号", "--title-col", "主题", "--text-col", "详情"]
    code, _, err = run_cli(capsys, *build)  # the reply column is not named: one line saying which flag
    assert code == 2 and "column 'reply' not found" in err and "--reply-col" in err and len(err.splitlines()) == 1
    code, out, err = run_cli(capsys, *build, "--reply-col", "答复意见")
    assert code == 0 and "built index of 2 entries" in out, err  # a ticket without a reply is no answer
    (tmp_path / "ask.csv").write_text("id,text\nq1,我们小区又停水了，什么时候恢复供水\n", encoding="utf-8")
    suggest = ["kb", "suggest", "--index", str(tmp_path / "index"), "--input", str(tmp_path / "ask.csv")]
    assert run_cli(capsys, *suggest, "--output", str(tmp_path / "s.csv"))[0] == 0
    cell = pd.read_csv(tmp_path / "s.csv", dtype=str)["suggestions"][0]
    assert [entry for entry, _ in json.loads(cell)][:1] == ["t1"]
    questions = " ".join(load_index(tmp_path / "index").entries["question"])
    assert "停水" in questions and "13912345678" not in questions  # shown to operators: masked on the way in
