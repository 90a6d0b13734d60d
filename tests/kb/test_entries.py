from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kb.entries import EntryChanges, entry_hashes, read_entries, to_seconds, validate_entries, validity_windows
from nlp.errors import InputError


def _frame(**columns: list[str]) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {"id": [f"e{i}" for i in range(n)], "question": [f"问题{i}" for i in range(n)], "answer": ["答"] * n}
    return pd.DataFrame({**base, **columns})


def test_bad_rows_are_listed_with_their_file_line(tmp_path: Path) -> None:
    path = tmp_path / "entries.csv"
    path.write_text(
        "id,question,answer,valid_from,valid_to\n"
        "a,社保卡怎么办,去网点,2022-01-01,\n"
        ",没有编号的问题,答,,\n"
        "a,重复编号,答,,\n"
        "b,,没有问题,,\n"
        "c,日期不对,答,2022-13-01,\n"
        "d,结束早于开始,答,2022-05-01,2022-04-30\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        read_entries(path)
    message = str(caught.value)
    assert "6 bad rows" not in message  # five problems, one per bad row
    for expected in (
        "line 3: empty id",
        "line 4: id 'a' repeats line 2",
        "line 5: empty question",
        "line 6: valid_from '2022-13-01' is not an ISO date",
        "line 7: valid_to 2022-04-30 is before valid_from 2022-05-01",
    ):
        assert expected in message
    assert str(path) in message


def test_only_the_first_problems_are_listed() -> None:
    frame = _frame(id=[""] * 9)
    with pytest.raises(InputError, match=r"9 bad rows \(line 2: empty id;.*line 6: empty id and 4 more\)"):
        validate_entries(frame)


def test_missing_required_column_is_named() -> None:
    with pytest.raises(InputError, match="add answer"):
        validate_entries(pd.DataFrame({"id": ["a"], "question": ["q"]}))


def test_valid_entries_keep_other_columns_and_get_iso_dates() -> None:
    frame = validate_entries(_frame(valid_from=["2022-06-01 00:00:00", ""], topic=["x", "y"]))
    assert frame["valid_from"].tolist() == ["2022-06-01", ""]
    assert frame["topic"].tolist() == ["x", "y"]
    assert frame["department"].tolist() == ["", ""]


def test_hash_changes_with_content_only() -> None:
    frame = validate_entries(_frame(id=["a", "b"]))
    changed = frame.copy()
    changed.loc[1, "answer"] = "新的答案"
    before, after = entry_hashes(frame), entry_hashes(changed)
    assert before[0] == after[0] and before[1] != after[1]


def test_changes_by_id() -> None:
    old = {"a": "h1", "b": "h2", "c": "h3"}
    changes = EntryChanges.between(old, ["a", "b", "d"], ["h1", "h2-new", "h4"])
    assert (changes.added, changes.changed, changes.removed, changes.unchanged) == (1, 1, 1, 1)


def test_valid_to_is_the_last_valid_day() -> None:
    end = to_seconds(pd.Series(["2022-02-28"]), end=True)[0]
    assert end == to_seconds(pd.Series(["2022-03-01"]))[0]


def test_a_newer_version_of_a_question_supersedes_the_older() -> None:
    frame = validate_entries(
        pd.DataFrame(
            {
                "id": ["v2", "v1", "other"],
                "question": ["来苏人员要做核酸吗？", "来苏人员要做核酸吗", "别的问题"],
                "answer": ["新", "旧", "答"],
                "valid_from": ["2022-06-01", "2022-01-01", "2022-01-01"],
                "valid_to": ["", "2022-12-31", ""],
            }
        )
    )
    start, end = validity_windows(frame)
    assert end[1] == start[0]  # v1 ends when v2 starts, before its own valid_to
    assert end[0] > start[0] and end[2] > start[0]  # the newest and the unrelated entry stay open
