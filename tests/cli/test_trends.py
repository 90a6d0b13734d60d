from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from cli.main import main
from nlp.tables import write_table


def test_ingest_then_digest_from_the_store(stream, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame, _ = stream
    path = write_table(frame, tmp_path / "tickets.csv")
    store = str(tmp_path / "t.duckdb")
    assert main(["ingest", str(path), "--store", store]) == 0
    assert main(["ingest", str(path), "--store", store]) == 0
    assert "0 tickets added, 6000 updated" in capsys.readouterr().out
    assert main(["digest", "--store", store, "--week", "2022-W17", "--out", str(tmp_path / "d")]) == 0
    digest = json.loads((tmp_path / "d" / "digest.json").read_text(encoding="utf-8"))
    assert digest["week"] == "2022-W17" and digest["topics"]
    html = (tmp_path / "d" / "digest.html").read_text(encoding="utf-8")
    assert "<svg" in html and "http" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert (tmp_path / "d" / "digest.md").read_text(encoding="utf-8").startswith("# 12345 hot-issue digest, 2022-W17")
    assert len(list((tmp_path / "t.duckdb.weeks").glob("2022-W*"))) == 8, "each week of the history is cached"


def test_digest_cache_options(stream, tmp_path: Path) -> None:
    frame, _ = stream
    path = write_table(frame, tmp_path / "tickets.csv")
    common = ["digest", "--tickets", str(path), "--week", "2022-W17", "--out", str(tmp_path / "d")]
    assert main([*common, "--cache", str(tmp_path / "weeks"), "--no-cache"]) == 0
    assert not (tmp_path / "weeks").exists()
    assert main([*common, "--cache", str(tmp_path / "weeks")]) == 0
    assert len(list((tmp_path / "weeks").glob("2022-W*"))) == 8


def test_digest_from_an_export_with_real_style_columns(
    stream, bundle_dir, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The column options of the real hot-topic stream (Chinese column names, likes, dislikes)."""
    frame, _ = stream
    renamed = frame.head(3000).rename(
        columns={
            "id": "留言编号",
            "reporter": "留言用户",
            "title": "留言主题",
            "created_at": "留言时间",
            "text": "留言详情",
        }
    )
    renamed["点赞数"], renamed["反对数"] = 1, 0
    path = write_table(renamed, tmp_path / "hot.csv")
    args = [
        "digest",
        "--tickets",
        str(path),
        "--week",
        "2022-W14",
        "--out",
        str(tmp_path / "d"),
        "--model",
        str(bundle_dir),
    ]
    args += ["--id-col", "留言编号", "--title-col", "留言主题", "--text-col", "留言详情", "--time-col", "留言时间"]
    args += ["--reporter-col", "留言用户", "--likes-col", "点赞数", "--dislikes-col", "反对数"]
    assert main(args) == 0, capsys.readouterr().err
    topic = json.loads((tmp_path / "d" / "digest.json").read_text(encoding="utf-8"))["topics"][0]
    assert topic["departments"] and 0 <= topic["covid_share"] <= 1


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--week", "W34"], "expected a week such as 2019-W34"),
        (["--week", "2022-W14", "--time-col", "when"], "column 'when' not found"),
    ],
)
def test_digest_bad_input(
    stream, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    path = write_table(stream[0].head(200), tmp_path / "t.csv")
    assert main(["digest", "--tickets", str(path), "--out", str(tmp_path / "d"), *extra]) == 2
    assert message in capsys.readouterr().err


def test_rows_without_time_are_rejected_not_lost(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame = pd.DataFrame({"id": ["a", "b"], "text": ["楼上太吵", "停水"], "created_at": ["2022-03-07 10:00", ""]})
    path = write_table(frame, tmp_path / "t.csv")
    assert main(["ingest", str(path), "--store", str(tmp_path / "s.duckdb")]) == 0
    captured = capsys.readouterr()
    assert "1 tickets added" in captured.out and "missing time" in captured.err
