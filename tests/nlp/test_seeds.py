from __future__ import annotations

import pytest

from nlp.seeds import seed_documents, seed_hits, seed_pattern


def test_seeds_match_inside_words_whatever_the_width_and_case() -> None:
    titles = ["", "停水", "", ""]
    texts = ["小区停水了三天", "请尽快处理", "ＷＩＦＩ信号差", "小区停电了"]
    assert seed_hits(["停水", "wifi"], titles, texts).tolist() == [True, True, True, False]


def test_no_seed_matches_nothing() -> None:
    assert seed_hits([], ["t"], ["停水"]).tolist() == [False]
    assert seed_hits(["", "  "], ["t"], ["停水"]).tolist() == [False]
    assert seed_pattern([" "]) is None


def test_the_longest_seed_is_taken_first() -> None:
    pattern = seed_pattern(["停水", "小区停水"])
    assert pattern is not None
    assert pattern.sub("", "小区停水了") == "了"  # 小区停水 whole, not 停水 leaving 小区


def test_documents_are_reused_and_must_match_the_tickets() -> None:
    titles, texts = ["核酸", ""], ["结果没出来", "苏康码变黄码"]
    documents = seed_documents(titles, texts)
    assert seed_hits(["核酸"], titles, texts, documents=documents).tolist() == [True, False]
    assert seed_hits(["核酸结果"], titles, texts, documents=documents).tolist() == [False, False]  # title, then body
    assert seed_hits(["苏康码"], titles, texts, documents=documents).tolist() == [False, True]
    with pytest.raises(ValueError, match="expected as many titles as texts, got 2 and 1"):
        seed_documents(titles, texts[:1])
