from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nlp.errors import InputError
from nlp.tables import detect_encoding, file_sha256, read_table, write_table

ROWS = pd.DataFrame({"id": ["001", "002"], "text": ["苏康码变黄码", "楼上太吵"], "note": ["", "x"]})


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet", ".jsonl"])
def test_formats_round_trip_as_strings(tmp_path: Path, suffix: str) -> None:
    frame = read_table(write_table(ROWS, tmp_path / f"t{suffix}"))
    assert list(frame["id"]) == ["001", "002"]  # leading zeros kept
    assert list(frame["text"]) == list(ROWS["text"])


def test_tsv_and_header_spaces(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    path.write_text(" id \ttext\n7\t楼上太吵\n", encoding="utf-8")
    assert read_table(path).to_dict("list") == {"id": ["7"], "text": ["楼上太吵"]}


def test_gb18030_csv_is_read(tmp_path: Path) -> None:
    path = tmp_path / "gb.csv"
    ROWS.to_csv(path, index=False, encoding="gb18030")
    assert detect_encoding(path) == "gb18030"
    assert list(read_table(path)["text"]) == list(ROWS["text"])


def test_undecodable_file_says_which_encodings(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"id,text\n1,\xff\xfe\x81\x30\n")
    with pytest.raises(InputError, match="UTF-8 or GB18030"):
        read_table(path)


@pytest.mark.parametrize(("content", "message"), [(b"", "the file is empty"), (b"id,text\n", "no rows after")])
def test_empty_file_is_refused(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_table(path)


def test_a_parser_error_names_file_and_format(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    path.write_bytes(b"not parquet")
    with pytest.raises(InputError, match=r"t\.parquet: could not be read as parquet"):
        read_table(path)


@pytest.mark.parametrize(
    ("name", "message"), [("t.doc", "expected one of"), ("nothere.csv", "no such file"), ("d.csv", "got a directory")]
)
def test_unusable_paths(tmp_path: Path, name: str, message: str) -> None:
    path = tmp_path / name
    if name.endswith(".doc"):
        path.write_text("x")
    if name.startswith("d."):
        path.mkdir()
    with pytest.raises(InputError, match=message):
        read_table(path)


def test_write_table_is_atomic_and_refuses_unknown_formats(tmp_path: Path) -> None:
    write_table(ROWS, tmp_path / "sub" / "out.csv")
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["out.csv"]  # no temporary left behind
    with pytest.raises(InputError, match="expected an output ending in"):
        write_table(ROWS, tmp_path / "out.txt")


def test_file_sha256_changes_with_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc")
    assert file_sha256(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # SHA-256("abc")
    path.write_bytes(b"abd")
    assert file_sha256(path) != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-16"])
def test_utf16_exports_are_read_with_or_without_a_byte_order_mark(tmp_path: Path, encoding: str) -> None:
    from nlp.tables import detect_encoding, read_table

    path = tmp_path / "t.csv"
    path.write_bytes("id,text\n1,停水了\n".encode(encoding))
    assert detect_encoding(path) == encoding
    assert read_table(path).to_dict("records") == [{"id": "1", "text": "停水了"}]


def test_an_output_that_is_the_input_is_refused(tmp_path: Path) -> None:
    from nlp.errors import InputError
    from nlp.tables import check_not_input

    (tmp_path / "a.csv").write_text("id,text\n", encoding="utf-8")
    with pytest.raises(InputError, match="would overwrite the input"):
        check_not_input(tmp_path / "sub" / ".." / "a.csv", tmp_path / "a.csv")
    check_not_input(tmp_path / "b.csv", tmp_path / "a.csv")  # another file is fine
