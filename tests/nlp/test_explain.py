from __future__ import annotations

import pandas as pd
import pytest

from nlp.bundle import Bundle
from nlp.explain import explain, explain_tickets
from nlp.scoring import score


def test_terms_come_from_the_ticket_and_push_its_prediction(bundle: Bundle) -> None:
    text = "公司拖欠工资三个月，请劳动监察帮忙讨薪"
    [terms] = explain_tickets(bundle, [text])
    assert terms and all(t["weight"] > 0 for t in terms)
    assert [t["weight"] for t in terms] == sorted((t["weight"] for t in terms), reverse=True)
    assert all(all(word in text for word in t["term"].split()) for t in terms)
    assert any("工资" in t["term"] for t in terms)


def test_reuses_the_scored_matrix(bundle: Bundle, unseen: pd.DataFrame) -> None:
    sample = unseen.head(20)
    scores = score(bundle, sample["title"].tolist(), sample["text"].tolist(), keep_features=True)
    assert explain(bundle, scores, k=3) == explain_tickets(bundle, sample, k=3)
    without = score(bundle, sample["title"].tolist(), sample["text"].tolist())
    with pytest.raises(ValueError, match="keep_features=True"):
        explain(bundle, without)


def test_unknown_task_is_refused(bundle: Bundle) -> None:
    scores = score(bundle, [""], ["停水了"], keep_features=True)
    with pytest.raises(ValueError, match="expected a task of the bundle"):
        explain(bundle, scores, task="nope")


def test_removing_the_strongest_term_lowers_the_predicted_class(bundle: Bundle) -> None:
    text = "公司拖欠工资三个月，请劳动监察帮忙讨薪"
    before = score(bundle, [""], [text], keep_features=True)
    [terms] = explain(bundle, before, k=1)
    predicted = int(before.tasks["department"].proba.argmax())
    without = text.replace(terms[0]["term"].split()[0], "")
    after = score(bundle, [""], [without])
    assert after.tasks["department"].proba[0, predicted] < before.tasks["department"].proba[0, predicted]


def test_a_binary_task_is_explained_towards_its_predicted_class(bundle: Bundle) -> None:
    covid, other = "核酸检测结果一直没出来，苏康码变成黄码了", "小区门口路灯坏了很久没人修"
    scores = score(bundle, ["", ""], [covid, other], keep_features=True)
    assert scores.tasks["covid"].proba.argmax(axis=1).tolist() == [1, 0]
    [towards_covid, towards_not] = explain(bundle, scores, task="covid", k=5)
    assert any("核酸" in t["term"] or "黄码" in t["term"] for t in towards_covid)
    assert all(word in other for t in towards_not for word in t["term"].split())
