from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from nlp.tables import write_table
from tests.helpers import run_cli


def test_train_writes_a_bundle_and_prints_evaluation(tmp_path: Path, corpus_path: Path, capsys) -> None:
    small = tmp_path / "small.csv"
    pd.read_csv(corpus_path).head(800).to_csv(small, index=False)
    code, out, err = run_cli(
        capsys,
        "train",
        "--tickets",
        str(small),
        "--out",
        str(tmp_path / "m"),
        "--folds",
        "3",
        "--no-char-ngrams",
        "--quiet",
    )
    assert code == 0, err
    assert "department" in out and "macro-F1" in out and "route=auto" in out
    meta = json.loads((tmp_path / "m" / "bundle.json").read_text(encoding="utf-8"))
    assert set(meta["tasks"]) == {"consultation", "covid", "department"}


def test_train_only_the_tasks_whose_columns_exist(tmp_path: Path, corpus_path: Path, capsys) -> None:
    frame = (
        pd.read_csv(corpus_path)
        .head(400)[["id", "title", "text", "department"]]
        .rename(columns={"department": "部门", "text": "内容"})
    )
    path = write_table(frame, tmp_path / "t.xlsx")
    code, _, err = run_cli(
        capsys,
        "train",
        "--tickets",
        str(path),
        "--text-col",
        "内容",
        "--department-col",
        "部门",
        "--out",
        str(tmp_path / "m"),
        "--folds",
        "3",
        "--quiet",
        "--drop-rare-labels",
    )
    assert code == 0, err
    assert list(json.loads((tmp_path / "m" / "bundle.json").read_text(encoding="utf-8"))["tasks"]) == ["department"]


def test_evaluate_prints_and_writes_json(tmp_path: Path, bundle_dir: Path, unseen: pd.DataFrame, capsys) -> None:
    path = write_table(unseen, tmp_path / "unseen.csv")
    code, out, err = run_cli(
        capsys, "evaluate", "--model", str(bundle_dir), "--input", str(path), "--json", str(tmp_path / "e.json")
    )
    assert code == 0, err
    report = json.loads((tmp_path / "e.json").read_text(encoding="utf-8"))["tasks"]
    assert report["department"]["macro_f1"] > 0.8 and report["department"]["top3_accuracy"] > 0.9
    assert report["department"]["confusion"]["matrix"]
    assert 0 < report["department"]["auto_coverage"] <= 1
    assert report["covid"]["per_class"]["1"]["recall"] > 0.9
    assert "top-3" in out


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        ("id,body\n1,x\n", [], "column 'text' not found"),
        ("id,text\n1,a\n1,b\n", [], "duplicated ids"),
        ("", [], "the file is empty"),
        ("id,text,covid\n1,  ,1\n", [], "0 usable rows"),
        (
            "id,text,department\n" + "".join(f"{i},文本{i},{'甲' if i < 25 else '乙'}\n" for i in range(30)),
            [],
            "fewer than 10 examples",
        ),
        ("id,text,covid\n1,a,maybe\n", [], "line 2, column 'covid'"),
        ("id,text\n1,a\n", [], "no label column found"),
    ],
)
def test_train_bad_inputs(tmp_path: Path, capsys, content: str, extra: list[str], message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    code, _, err = run_cli(capsys, "train", "--tickets", str(path), "--out", str(tmp_path / "m"), "--quiet", *extra)
    assert code == 2
    assert message in err and "hotline: error:" in err and "Traceback" not in err


def test_promote_compares_then_copies_and_says_how_to_reload(
    tmp_path: Path, bundle_dir: Path, unseen: pd.DataFrame, capsys
) -> None:
    path = write_table(unseen, tmp_path / "labelled.csv")
    target = tmp_path / "serving"
    code, out, err = run_cli(capsys, "promote", "--model", str(bundle_dir), "--to", str(target))
    assert code == 0, err
    code, out, err = run_cli(capsys, "promote", "--model", str(target), "--to", str(target))
    assert code == 2 and "already the bundle" in err
    code, out, err = run_cli(
        capsys, "promote", "--model", str(bundle_dir), "--to", str(target), "--against", str(path), "--tolerance", "0"
    )
    assert code == 0, err
    assert "department" in out and "macro-F1" in out and "(+0.0000)" in out
    assert "kept in" in out and "/v1/admin/reload" in out
    with pytest.raises(SystemExit) as stopped:
        run_cli(capsys, "promote", "--model", str(bundle_dir), "--to", str(target), "--tolerance", "2")
    assert stopped.value.code == 2 and "expected a number in [0, 1], got 2.0" in capsys.readouterr().err


def test_demo_data_then_train_routes_to_platforms_and_units_without_extra_flags(tmp_path: Path, capsys) -> None:
    data = tmp_path / "demo.csv"
    assert run_cli(capsys, "demo-data", "--n", "900", "--weeks", "3", "--seed", "4", "--out", str(data))[0] == 0
    assert {"department", "platform", "unit", "first_unit", "place_given"} <= set(pd.read_csv(data, nrows=1).columns)
    code, out, err = run_cli(
        capsys, "train", "--tickets", str(data), "--out", str(tmp_path / "m"), "--folds", "2", "--quiet"
    )
    assert code == 0, err
    meta = json.loads((tmp_path / "m" / "bundle.json").read_text(encoding="utf-8"))
    assert {"department", "platform", "unit"} <= set(meta["tasks"])
    assert "transfers in the history" in out  # the held-out units against the first units of the history
    code, out, err = run_cli(capsys, "evaluate", "--model", str(tmp_path / "m"), "--input", str(data))
    assert code == 0, err
    assert "accuracy by how the place was given" in out and "transfers in the history" in out
