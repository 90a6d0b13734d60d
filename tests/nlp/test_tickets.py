from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nlp.errors import InputError
from nlp.tables import write_table
from nlp.tickets import Column, ColumnMap, map_columns, read_tickets, split_rejected

ROWS = pd.DataFrame(
    {
        "id": ["001", "002", "003"],
        "title": ["苏康码", "噪音", "公积金"],
        "text": ["苏康码变黄码", "楼上太吵", "咨询公积金提取"],
        "consultation": ["0", "否", "咨询"],
        "department": ["市大数据管理局", "市公安局", ""],
    }
)
LABELS = ColumnMap(
    labels={"consultation": Column("consultation", required=False), "department": Column("department", required=False)}
)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet", ".jsonl"])
def test_formats_round_trip(tmp_path: Path, suffix: str) -> None:
    path = write_table(ROWS, tmp_path / f"t{suffix}")
    tickets = read_tickets(path, LABELS)
    assert list(tickets.frame["id"]) == ["001", "002", "003"]  # leading zeros kept
    assert list(tickets.frame["consultation"]) == [0, 0, 1]
    assert tickets.frame["department"].isna().tolist() == [False, False, True]
    assert tickets.label_tasks == ["consultation", "department"]


def test_missing_column_names_the_option(tmp_path: Path) -> None:
    path = write_table(ROWS.rename(columns={"text": "body"}), tmp_path / "t.csv")
    with pytest.raises(InputError, match=r"column 'text' not found \(columns: id, title, body.*--text-col"):
        read_tickets(path)


def test_named_optional_column_is_required(tmp_path: Path) -> None:
    path = write_table(ROWS, tmp_path / "t.csv")
    with pytest.raises(InputError, match=r"column 'ticket_no' not found.*--id-col"):
        read_tickets(path, ColumnMap(id=Column("ticket_no", flag="--id-col")))


def test_duplicate_ids_are_refused_with_lines(tmp_path: Path) -> None:
    path = write_table(ROWS.assign(id=["1", "2", "1"]), tmp_path / "t.csv")
    with pytest.raises(InputError, match=r"'1' on lines 2, 4.*must be unique"):
        read_tickets(path)


def test_empty_texts_are_rejected_and_counted(tmp_path: Path) -> None:
    path = write_table(ROWS.assign(text=["a", "  \n\t", ""]), tmp_path / "t.csv")
    tickets = read_tickets(path)
    assert list(tickets.frame["id"]) == ["001"]
    assert list(tickets.rejected["line"]) == [3, 4]
    assert set(tickets.rejected["reason"]) == {"empty text"}
    assert "2 rejected (2 empty text)" in tickets.summary()


def test_bad_label_value_names_line_and_column(tmp_path: Path) -> None:
    path = write_table(ROWS.assign(consultation=["0", "maybe", "1"]), tmp_path / "t.csv")
    with pytest.raises(InputError, match=r"line 3, column 'consultation'.*got 'maybe'"):
        read_tickets(path, LABELS)


def test_missing_ids_are_generated_from_lines(tmp_path: Path) -> None:
    path = write_table(ROWS.drop(columns=["id"]), tmp_path / "t.csv")
    tickets = read_tickets(path)
    assert tickets.id_generated and list(tickets.frame["id"]) == ["2", "3", "4"]


def test_times_are_parsed_and_bad_ones_refused(tmp_path: Path) -> None:
    path = write_table(ROWS.assign(t=["2019/1/6 12:09:38", "2020-01-04 11:17", ""]), tmp_path / "t.csv")
    tickets = read_tickets(path, ColumnMap(time=Column("t")))
    assert str(tickets.frame["created_at"][0]) == "2019-01-06 12:09:38"
    path = write_table(ROWS.assign(t=["yesterday", "", ""]), tmp_path / "t2.csv")
    with pytest.raises(InputError, match="line 2, column 't': expected a date-time"):
        read_tickets(path, ColumnMap(time=Column("t")))


def test_map_columns_counts_lines_from_the_chunk_start() -> None:
    raw = pd.DataFrame({"内容": ["a", " "], "编号": ["x1", ""]})
    columns = ColumnMap(text=Column("内容"), id=Column("编号"), title=None)
    frame, tasks, id_col = map_columns(raw, columns, Path("chunk.csv"), first_line=10)
    assert list(frame["line"]) == [10, 11] and tasks == [] and id_col == "编号"
    accepted, rejected = split_rejected(frame)
    assert list(accepted["id"]) == ["x1"]
    assert rejected.to_dict("records") == [{"line": 11, "id": "", "reason": "empty text"}]
