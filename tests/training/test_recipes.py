"""The public recipe's loading and de-duplication, on small files written here in the same layout."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from cli.main import main
from demo.corpus import generate
from demo.probes import covid_probe
from nlp.bundle import load_bundle
from nlp.errors import InputError
from nlp.lexicon import load_words
from training.recipes import consultation_examples, covid_examples, dedupe_by_text, public, teddy_department

CLASSES = ["城乡建设", "环境保护", "交通运输"]


def _write_teddy(root: Path, n: int = 90) -> pd.DataFrame:
    """Generated tickets written as Teddy's full, part and sample files, with re-posts, rows whose
    detail is lost (only another team's segmentation of it) and scraped whitespace."""
    frame, _ = generate(n=n * 2, weeks=2, seed=4)
    frame = frame.assign(label=[CLASSES[i % 3] for i in range(len(frame))]).head(n)
    folder = root / "teddy2020c"
    folder.mkdir(parents=True)
    full = pd.DataFrame(
        {
            "row": range(n),
            "一级分类": frame["label"],
            "留言主题": frame["title"],
            "留言详情": ["\n\t\t\t" + t + "\n\t\t" for t in frame["text"]],
            "seg_text": None,
            "status": "exact",
        }
    )
    lost = full.index[n // 2 : n // 2 + 10]  # detail lost: title and segmentation kept
    full.loc[lost, "seg_text"] = [
        " ".join(title + text) + " _x000D_" for title, text in frame.loc[lost, ["title", "text"]].to_numpy()
    ]
    full.loc[lost, ["留言详情", "status"]] = [None, "title_only"]
    full = pd.concat([full, full.head(10)], ignore_index=True)  # citizens re-post: the first 10 repeat
    full.to_csv(folder / "labelled_messages_full.csv", index=False)
    part = pd.DataFrame({"label": frame["label"], "text": frame["title"] + frame["text"]})
    part.to_csv(folder / "labelled_messages_part.csv", index=False)
    sample = pd.DataFrame(
        {
            "留言编号": range(1000, 1000 + 20),
            "留言用户": "U1",
            "留言主题": frame["title"].head(20),
            "留言时间": "2019/1/6 12:09:38",
            "留言详情": ["\n\t\t\t" + t + "\n\t\t" for t in frame["text"].head(20)],
            "一级分类": frame["label"].head(20),
        }
    )
    sample.to_csv(folder / "labelled_messages_sample.csv", index=False)
    _write_consultation_sources(root)
    _write_covid_sources(root)
    return frame


def _write_covid_sources(root: Path) -> None:
    """Policy questions and Weibo posts: some name a lexicon term, some do not."""
    folder = root / "covid"
    folder.mkdir(parents=True, exist_ok=True)
    questions = [
        "核酸检测结果多久出来？",
        "返乡人员需要集中隔离吗？",
        "上海市司法局工作成果如何？",
        "复工复产有哪些补贴？",
    ] * 6
    posts = ["戴好口罩勤洗手", "今天天气真好", "武汉加油，疫情快点过去", "难受"] * 6
    pd.DataFrame({"id": range(len(questions)), "question": [f"{q}{i}" for i, q in enumerate(questions)]}).to_csv(
        folder / "policy_questions_train.csv", index=False
    )
    pd.DataFrame({"id": range(len(posts)), "content": [f"{p}{i}" for i, p in enumerate(posts)]}).to_csv(
        folder / "weibo_train.csv", index=False
    )


PREFIXES = ["咨询：", "请问", "投诉", "反映：", "建议", ""]  # "" : a title without a demand word


def _write_consultation_sources(root: Path, n: int = 60) -> pd.DataFrame:
    """Fuzhou requests (性质 labels) and Teddy message files whose titles start with demand words."""
    frame, _ = generate(n=n * 4, weeks=2, seed=8)
    fuzhou = root / "fuzhou_rivers"
    fuzhou.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {
            "id": range(n),
            "标题": frame["title"].head(n),
            "性质": ["咨询" if c else "投诉" for c in frame["consultation"].head(n)],
            "投诉件内容": frame["text"].head(n),
        }
    ).to_csv(fuzhou / "requests.csv", index=False)
    rest = frame.iloc[n:].reset_index(drop=True)
    titles = [PREFIXES[i % len(PREFIXES)] + t for i, t in enumerate(rest["title"])]
    for k, name in enumerate(["unlabelled_messages", "messages_with_replies", "hot_topic_messages"]):
        part = slice(k * n, (k + 1) * n)
        pd.DataFrame(
            {"留言编号": range(k * n, (k + 1) * n), "留言主题": titles[part], "留言详情": rest["text"][part]}
        ).to_csv(root / "teddy2020c" / f"{name}.csv", index=False)
    return frame


def test_loading_joins_squashes_and_dedupes(tmp_path: Path) -> None:
    written = _write_teddy(tmp_path)
    frame, counts = teddy_department(tmp_path)
    assert counts["teddy_full"] == 100 and counts["teddy_without_detail"] == 10
    assert counts["duplicates_dropped"] == 10 and len(frame) == 90
    assert not frame["text"].str.contains(r"\s|_x000D_").any()
    assert set(frame["department"]) == set(CLASSES) and set(frame["title"]) == {""}
    # Complete rows read as the part file (and unseen messages) write them: title then detail.
    joined = (written["title"] + written["text"]).str.replace(r"\s", "", regex=True)
    assert list(frame["text"]) == list(joined) and frame["complete"].sum() == 80
    assert list(frame["complete"]) == [not 45 <= i < 55 for i in range(90)]


def test_rows_without_detail_follow_the_partial_mode(tmp_path: Path) -> None:
    written = _write_teddy(tmp_path)
    lost = slice(45, 55)
    title, body = (
        written["title"].str.replace(r"\s", "", regex=True),
        written["text"].str.replace(r"\s", "", regex=True),
    )
    seg, _ = teddy_department(tmp_path, partial="seg")
    assert list(seg["text"][lost]) == list((title + body)[lost])  # the segmentation, de-spaced
    both, _ = teddy_department(tmp_path, partial="title+seg")
    assert list(both["text"][lost]) == list((title + title + body)[lost])
    titles, _ = teddy_department(tmp_path, partial="title")
    # Short generated titles repeat, some with other labels: repeats and conflicts are dropped.
    rebuilt = titles.loc[~titles["complete"], "text"]
    assert set(rebuilt) <= set(title[lost]) and len(rebuilt) >= 5
    dropped, _ = teddy_department(tmp_path, partial="drop")
    assert len(dropped) == 80 and dropped["complete"].all()
    with pytest.raises(ValueError, match="expected partial in"):
        teddy_department(tmp_path, partial="detail")


def test_conflicting_labels_drop_the_text() -> None:
    frame = pd.DataFrame({"text": ["同一段话", "同一段话 ", "另一段话", "另一段话"], "label": ["甲", "乙", "丙", "丙"]})
    kept, duplicates, conflicts = dedupe_by_text(frame, "label")
    assert list(kept["text"]) == ["另一段话"] and duplicates == 1 and conflicts == 2


def test_missing_files_and_columns_are_explained(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found; pass --data-root"):
        teddy_department(tmp_path)
    _write_teddy(tmp_path)
    pd.DataFrame({"一级分类": ["x"], "留言主题": ["y"]}).to_csv(
        tmp_path / "teddy2020c" / "labelled_messages_full.csv", index=False
    )
    with pytest.raises(InputError, match="missing 留言详情, seg_text"):
        teddy_department(tmp_path)


def test_public_recipe_records_its_files(tmp_path: Path) -> None:
    _write_teddy(tmp_path)
    recipe = public(tmp_path)
    assert recipe.tasks == ["consultation", "covid", "department"]
    labelled = recipe.frame[["consultation", "covid", "department"]].notna()
    assert (labelled.sum(axis=1) == 1).all()  # each row is labelled for one task
    assert labelled["department"].sum() == 90
    assert set(recipe.data["files"]) == {
        "teddy2020c/labelled_messages_full.csv",
        "teddy2020c/unlabelled_messages.csv",
        "teddy2020c/messages_with_replies.csv",
        "teddy2020c/hot_topic_messages.csv",
        "fuzhou_rivers/requests.csv",
        "covid/policy_questions_train.csv",
        "covid/weibo_train.csv",
    }
    assert recipe.rules["covid"] == list(load_words("covid_terms"))


def test_covid_positives_name_the_lexicon_and_citizen_messages_are_negatives(tmp_path: Path) -> None:
    _write_teddy(tmp_path)
    frame, counts = covid_examples(tmp_path)
    positives = frame[frame["covid"] == 1]
    assert set(positives["source"]) == {"covid-texts"} and counts["covid_positive"] == len(positives) == 30
    assert not positives["text"].str.contains("司法局|天气真好|难受").any()  # no lexicon term: left out
    citizen = frame[frame["source"].str.startswith("citizen")]
    assert (citizen["covid"] == 0).all() and (frame["source"] == "citizen-title").any()
    assert (frame.loc[frame["source"] == "citizen-title", "title"] == "").all()


def test_consultation_labels_real_and_from_titles_without_the_demand_word(tmp_path: Path) -> None:
    (tmp_path / "teddy2020c").mkdir()
    pd.DataFrame({"留言主题": ["咨询x", "投诉z"], "留言详情": ["y", None], "seg_text": [None, "w v"]}).to_csv(
        tmp_path / "teddy2020c" / "labelled_messages_full.csv", index=False
    )
    written = _write_consultation_sources(tmp_path)
    frame, counts = consultation_examples(tmp_path)
    fuzhou = frame[frame["source"] == "fuzhou"]
    assert counts["fuzhou"] == len(fuzhou) > 50  # generated texts can repeat: repeats are dropped
    expected = {f"fuzhou-{i}": int(c) for i, c in enumerate(written["consultation"].head(60))}
    assert list(fuzhou["consultation"]) == [expected[i] for i in fuzhou["id"]]
    weak = frame[frame["source"] == "teddy-title"]
    full = weak[weak["id"].str.startswith("labelled_messages_full-")].set_index("id")
    weak = weak[~weak["id"].str.startswith("labelled_messages_full-")]
    # Titles without a demand word are not labelled; 咨询/请问 -> 1, 投诉/反映/建议 -> 0; the word is cut.
    raw = {
        f"{name}-{row.留言编号}": row.留言主题
        for name in ("unlabelled_messages", "messages_with_replies", "hot_topic_messages")
        for row in pd.read_csv(tmp_path / "teddy2020c" / f"{name}.csv").itertuples()
    }
    original = weak["id"].map(raw)
    assert original.str.match(r"^(咨询|请问|投诉|举报|反映|请求|建议)").all() and len(weak) >= 120
    assert (weak["consultation"] == original.str.match(r"^(咨询|请问)").astype(int)).all()
    assert not weak["title"].str.match(r"^(咨询|请问|投诉|举报|反映|请求|建议)").any()
    # The full file's titles label too; a lost detail is its segmentation, de-spaced.
    assert full.loc["labelled_messages_full-0", ["title", "text", "consultation"]].tolist() == ["x", "y", 1]
    assert full.loc["labelled_messages_full-1", ["title", "text", "consultation"]].tolist() == ["z", "wv", 0]


def test_train_with_the_recipe_then_predict_with_explanations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_teddy(tmp_path, n=120)
    out = tmp_path / "model"
    assert (
        main(
            [
                "train",
                "--recipe",
                "public",
                "--data-root",
                str(tmp_path),
                "--out",
                str(out),
                "--folds",
                "3",
                "--quiet",
                "--no-char-ngrams",
            ]
        )
        == 0
    )
    meta = json.loads((out / "bundle.json").read_text(encoding="utf-8"))
    assert meta["recipe"] == "public" and list(meta["tasks"]) == ["consultation", "covid", "department"]
    assert meta["tasks"]["covid"]["seeds"] == list(load_words("covid_terms"))
    # Three data sets, one feature step: a ticket is cleaned, segmented and vectorised once.
    pipelines = load_bundle(out).pipelines.values()
    assert len({id(pipeline.steps[0][1]) for pipeline in pipelines}) == 1
    held_out = tmp_path / "held_out.csv"
    pd.read_csv(tmp_path / "teddy2020c" / "labelled_messages_part.csv").head(5).to_csv(held_out, index=False)
    assert (
        main(
            [
                "predict",
                "--model",
                str(out),
                "--input",
                str(held_out),
                "--text-col",
                "text",
                "--output",
                str(tmp_path / "p.csv"),
                "--explain",
                "--quiet",
            ]
        )
        == 0
    )
    predictions = pd.read_csv(tmp_path / "p.csv")
    assert set(predictions["department"]) <= set(CLASSES)
    assert all(json.loads(cell) for cell in predictions["department_explanation"])
    capsys.readouterr()


def test_recipe_needs_a_data_root(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--recipe", "public", "--out", str(tmp_path / "m")]) == 2
    assert "--data-root" in capsys.readouterr().err


def test_covid_probe_is_deterministic_and_its_covid_tickets_avoid_the_obvious_words() -> None:
    probe = covid_probe(n_each=30, seed=1)
    assert probe.equals(covid_probe(n_each=30, seed=1))
    assert probe["kind"].value_counts().to_dict() == {"covid": 30, "look_alike": 30, "ordinary": 30}
    covid = probe[probe["kind"] == "covid"]["text"]
    assert not covid.str.contains("疫情|新冠").any() and (probe["covid"] == (probe["kind"] == "covid")).all()
    # Look-alikes must not be caught by the lexicon rule: only the classifier can tell them apart.
    lexicon = "|".join(load_words("covid_terms"))
    assert not probe[probe["kind"] == "look_alike"]["text"].str.contains(lexicon).any()
