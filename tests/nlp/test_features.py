from __future__ import annotations

import pandas as pd
import pytest

from nlp.features import TicketText, as_ticket_frame, make_features
from nlp.tokenize import default_tokenizer


def test_as_ticket_frame_accepts_strings_dicts_and_frames() -> None:
    assert list(as_ticket_frame(["a", "b"])["text"]) == ["a", "b"]
    frame = as_ticket_frame([{"title": "t", "text": "x"}, {"text": "y"}])
    assert list(frame["title"]) == ["t", ""]
    assert list(as_ticket_frame(pd.DataFrame({"text": ["z"]}))["title"]) == [""]


def test_as_ticket_frame_refuses_missing_text() -> None:
    with pytest.raises(ValueError, match="expected a 'text' column"):
        as_ticket_frame(pd.DataFrame({"body": ["x"]}))
    with pytest.raises(TypeError, match="expected a DataFrame or a list"):
        as_ticket_frame(42)


def test_ticket_text_cleans_and_masks() -> None:
    out = TicketText().transform(pd.DataFrame({"title": ["咨询！！"], "text": ["\n\t电话13812345678"]}))
    assert out.loc[0, "title"] == "咨询!"
    assert "13812345678" not in out.loc[0, "doc"]
    assert out.loc[0, "doc"].startswith("咨询!")


def test_feature_vocabulary_never_holds_personal_data() -> None:
    texts = [f"我的电话1381234567{i}，苏康码变黄码" for i in range(10)]
    features = make_features(default_tokenizer(), min_df=1).fit(pd.DataFrame({"text": texts}))
    vocabulary = features.named_steps["vectors"].get_feature_names_out()
    assert not any("138" in term for term in vocabulary)
    assert any("苏康码" in term for term in vocabulary)


def test_title_is_weighted_apart() -> None:
    frame = pd.DataFrame({"title": ["苏康码", "停水"], "text": ["今天的情况", "今天的情况"]})
    features = make_features(default_tokenizer(), min_df=1, char_ngrams=None).fit(frame)
    names = list(features.named_steps["vectors"].get_feature_names_out())
    assert "title__苏康码" in names and "words__苏康码" in names


def test_missing_title_falls_back_to_the_first_clause() -> None:
    out = TicketText().transform(pd.DataFrame({"text": ["苏康码变黄码，进不了小区", "没有标点的一句话"]}))
    assert list(out["title"]) == ["苏康码变黄码", "没有标点的一句话"]
