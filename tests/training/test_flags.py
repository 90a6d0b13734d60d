from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from demo.corpus import generate
from nlp.bundle import Bundle, load_bundle
from nlp.errors import InputError
from nlp.predict import predict
from nlp.tables import write_table
from nlp.tickets import ColumnMap, Tickets, read_tickets
from training.flags import read_seeds, train_flag

NAME = "water_outage"
TASK = f"flag:{NAME}"


@pytest.fixture(scope="module")
def tickets(tmp_path_factory: pytest.TempPathFactory) -> Tickets:
    frame, _ = generate(n=3000, weeks=12, seed=5)  # the water outage starts in week 9
    path = write_table(frame, tmp_path_factory.mktemp("flag") / "tickets.csv")
    return read_tickets(path, ColumnMap())


@pytest.fixture(scope="module")
def flagged(tickets: Tickets, bundle_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("flag") / "bundle"
    return train_flag(NAME, ["停水"], tickets, out, base=bundle_dir, progress=False), out


def test_the_flag_finds_outage_tickets_that_never_say_the_seed(flagged) -> None:
    """Generalises beyond the seed: outage tickets with 停水 cut out are still flagged, others rarely."""
    result, _ = flagged
    unseen, _ = generate(n=3000, weeks=12, seed=77)
    outage = unseen[unseen["topic"] == NAME].copy()
    assert len(outage) >= 10
    outage["title"] = outage["title"].str.replace("停水", "", regex=False)
    outage["text"] = outage["text"].str.replace("停水", "", regex=False)
    others = unseen[(unseen["topic"] != NAME) & ~unseen["text"].str.contains("停水|没水|来水|供水")]
    bundle = result.bundle
    recall = predict(bundle, outage[["title", "text"]])[TASK].mean()
    false_alarms = predict(bundle, others[["title", "text"]])[TASK].mean()
    assert recall >= 0.7, recall
    assert false_alarms <= 0.01, false_alarms


def test_a_seed_in_the_text_flags_by_rule(flagged) -> None:
    result, _ = flagged
    out = predict(result.bundle, [{"title": "", "text": "早上起来家里停水了"}, {"title": "", "text": "公积金怎么提取"}])
    assert list(out[TASK]) == [1, 0] and out[f"{TASK}_proba"][0] == 1.0


def test_the_bundle_keeps_the_base_tasks_and_records_the_seeds(flagged, bundle: Bundle) -> None:
    _, out = flagged
    loaded = load_bundle(out)
    assert loaded.tasks == [*bundle.tasks, TASK]
    assert loaded.task_meta(TASK)["seeds"] == ["停水"] and loaded.meta["base_bundle"] == bundle.bundle_id
    assert loaded.route_threshold() == bundle.route_threshold()
    sample = [{"title": "", "text": "苏康码变黄码了怎么办"}]
    assert predict(loaded, sample)["department"][0] == predict(bundle, sample)["department"][0]


def test_review_surfaces_tickets_that_only_share_the_context(tmp_path: Path) -> None:
    """Most outage tickets say 停水; a few say it otherwise, in the same context: review lists those."""
    rng = np.random.default_rng(0)
    streets = ["松陵", "同里", "平望", "盛泽", "震泽", "黎里", "桃源", "七都"]
    otherwise = ["断水", "没水用", "水龙头不出水", "一滴水都没有", "没有自来水", "水停了", "无水可用", "来不了水"]
    words = ["停水"] * 32 + otherwise
    outage = [
        f"{streets[i % 8]}街道{word}{i % 5 + 1}天了，自来水管网维修没有通知，什么时候恢复供水"
        for i, word in enumerate(words)
    ]
    others, _ = generate(n=400, weeks=2, seed=3)
    texts = outage + others["text"].tolist()
    frame = pd.DataFrame({"id": [f"t{i}" for i in range(len(texts))], "title": "", "text": texts})
    frame = frame.iloc[rng.permutation(len(frame))]
    tickets = read_tickets(write_table(frame, tmp_path / "t.csv"), ColumnMap())
    result = train_flag(NAME, ["停水"], tickets, tmp_path / "m", progress=False)
    review = result.review
    assert not review["text"].astype(str).str.contains("停水").any()
    assert review[f"{TASK}_proba"].is_monotonic_decreasing
    found = review["text"].astype(str).str.contains("|".join(otherwise))
    assert found.sum() >= 5 and found.mean() >= 0.8, review


def test_seed_files_and_names_are_checked(tmp_path: Path, tickets: Tickets) -> None:
    (tmp_path / "seeds.txt").write_text("# comment only\n\n停水 # inline comment\nＡＢ\n停水\n", encoding="utf-8")
    assert read_seeds(tmp_path / "seeds.txt") == ["停水", "ab"]
    (tmp_path / "empty.txt").write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(InputError, match="no seed terms"):
        read_seeds(tmp_path / "empty.txt")
    with pytest.raises(InputError, match="expected a flag name"):
        train_flag("Water Outage", ["停水"], tickets, tmp_path / "m", progress=False)
    with pytest.raises(InputError, match="the seeds match 0 of"):
        train_flag("nothing", ["不存在的词语组合"], tickets, tmp_path / "m", progress=False)
    assert not (tmp_path / "m").exists()


def test_cli_writes_bundle_and_review(tmp_path: Path, tickets: Tickets, capsys) -> None:
    from cli.main import main

    (tmp_path / "seeds.txt").write_text("停水\n", encoding="utf-8")
    code = main(
        ["flag", "train", "--name", NAME, "--seeds", str(tmp_path / "seeds.txt"), "--tickets", str(tickets.path),
         "--out", str(tmp_path / "m"), "--quiet"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and "seeds match" in out
    assert load_bundle(tmp_path / "m").tasks == [TASK]
    review = pd.read_csv(tmp_path / "m" / "review.csv")
    assert list(review.columns) == ["id", f"{TASK}_proba", "title", "text"]
    assert np.all(review[f"{TASK}_proba"] >= 0.5)


def test_the_service_returns_the_flag_next_to_the_built_in_tasks(flagged, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from serve.app import create_app
    from serve.settings import Settings

    _, out = flagged
    settings = Settings(model_dir=out, prediction_log=tmp_path / "log.sqlite3")
    with TestClient(create_app(settings)) as client:
        body = client.post("/v1/predict", json={"text": "松陵街道停水两天了"}).json()
        other = client.post("/v1/predict", json={"text": "请问公积金提取需要什么材料"}).json()
    assert body["flags"][NAME] == {"value": 1, "proba": 1.0}
    assert other["flags"][NAME]["value"] == 0 and "department" in other
