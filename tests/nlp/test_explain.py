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
