from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nlp.text import MASKS, clean, clean_many, mask_pii, normalize, normalize_many


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\n\t\t\t苏康码变黄码\n\t\t", "苏康码变黄码"),
        ("ＡＢＣ１２３", "abc123"),  # full-width to half-width, lower case
        ("太吵了！！！", "太吵了!"),  # repeated punctuation collapses
        ("什么时候来水？？？。。。", "什么时候来水?。"),
        ("a\u3000b\xa0c", "a b c"),  # ideographic and no-break spaces
        ("零\u200b宽", "零宽"),
        ("Hello World", "hello world"),
        ("", ""),
    ],
)
def test_normalize_table(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "kind", "kept"),
    [
        ("我的电话13812345678请回电", "mobile", "我的电话"),
        ("手机：+86 138 1234 5678", "mobile", "手机"),
        ("电话(138)1234-5678请回电", "mobile", "请回电"),
        ("手机+86 138·1234·5678", "mobile", "手机"),
        ("身份证320502199001011234", "id_number", "身份证"),
        ("身份证32050219900101123X。", "id_number", "。"),
        ("卡号6222021234567890123", "bank_card", "卡号"),
        ("卡号 6222 0212 3456 7890", "bank_card", "卡号"),
        ("座机0512-65223456", "landline", "座机"),
        ("电话:65223456", "landline", "电话"),
        ("邮箱 zhang.san@example.com 联系", "email", "邮箱"),
        ("车牌苏E12345被刮", "plate", "被刮"),
        ("车牌苏E·A1234", "plate", "车牌"),
        ("新能源苏ED12345", "plate", "新能源"),
        ("１３８１２３４５６７８", "mobile", ""),  # full-width digits in raw text
    ],
)
def test_mask_pii_table(raw: str, kind: str, kept: str) -> None:
    masked = mask_pii(raw)
    assert MASKS[kind] in masked
    assert kept in masked
    assert not any(ch.isdigit() for ch in masked.replace("12345", "")), masked


@pytest.mark.parametrize(
    "text",
    ["12345热线", "物业费每平方1.5元", "2022年3月7日下午3点", "18路公交", "楼号12幢302室", "金额50000元"],
)
def test_mask_pii_leaves_ordinary_numbers(text: str) -> None:
    assert mask_pii(text) == text


def test_id_number_is_not_read_as_phone() -> None:
    assert mask_pii("320502199001011234") == MASKS["id_number"]


@given(st.text())
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@given(st.text(alphabet=st.sampled_from(list("0123456789 -+@.xX苏E·abc电话座机tel：:"))))
def test_mask_pii_is_idempotent(text: str) -> None:
    once = mask_pii(text)
    assert mask_pii(once) == once


@given(st.text())
def test_clean_is_idempotent(text: str) -> None:
    once = clean(text)
    assert clean(once) == once


@pytest.mark.parametrize("func", [normalize, mask_pii, clean])
def test_non_string_is_refused(func: object) -> None:
    with pytest.raises(TypeError, match="expected str, got int"):
        func(3)  # type: ignore[operator]


def _plain_nfkc_normalize(text: str) -> str:
    """normalize() as first written, without the full-width shortcut."""
    import re
    import unicodedata

    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).lower())
    text = re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", text)
    text = re.sub(r"([^\w\s])\1+", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


@given(st.text(alphabet=st.sampled_from("苏康码，。！？：（）ＡＢｚ０９　 \t\n\x1c\xa0\u2028①Ⅻ％＠.-ﾟｶ\u0301\u200bé")))
def test_full_width_shortcut_gives_plain_nfkc(text: str) -> None:
    assert normalize(text) == _plain_nfkc_normalize(text)


# Characters that make or break a pattern: digits and separators, cue words, letters of plates and e-mails.
_PII_ALPHABET = st.sampled_from(
    [*"0123456789０１３８ -.@(+)xX苏E·DabqQ：:是电话座机号卡身份证订单编叫我张伟王欧阳联系人微信,。", "tel", "qq", "wx"]
)


@given(st.lists(_PII_ALPHABET, max_size=40).map("".join))
def test_pattern_gates_change_nothing(text: str) -> None:
    # The cheap gates in mask_pii only skip patterns that could not match.
    from nlp.text import _fold, _mask_all_but_plates, _may_hold

    folded = _fold(text)
    assert _mask_all_but_plates(folded) == _every_pattern(folded)
    if not _may_hold(folded):
        assert _every_pattern(folded) == folded


def _every_pattern(text: str) -> str:
    """mask_pii without its gates and plates: every pattern in turn, outside labelled numbers."""
    from nlp import text as t

    def span(part: str) -> str:
        part = t._SHAPED.sub(lambda found: t._SHAPE_MASKS[str(found.lastgroup)], part)
        for _keys, kind, pattern in t._CUED_NUMBERS:
            part = pattern.sub(rf"\g<cue>{MASKS[kind]}", part)
        part = t._WECHAT.sub(rf"\g<cue>{MASKS['wechat']}", part)
        for pattern in t._name_patterns():
            part = pattern.sub(rf"\g<cue>{MASKS['name']}", part)
        return part

    text = t._EMAIL.sub(t._mask_email, text)
    pieces, start = [], 0
    for found in t._labelled_numbers(text):
        pieces += [span(text[start : found.start()]), found.group()]
        start = found.end()
    return "".join([*pieces, span(text[start:])])


@given(st.lists(_PII_ALPHABET, max_size=40).map("".join))
def test_mask_pii_and_clean_are_idempotent_on_pii_like_text(text: str) -> None:
    once = mask_pii(text)
    assert mask_pii(once) == once
    cleaned = clean(text)
    assert clean(cleaned) == cleaned


# Characters that each step of clean() treats specially, the batch separator among them.
_TRICKY = st.text(
    alphabet=st.sampled_from(
        list(
            "苏康码，。！！？：（）ＡＢｚ０９　 \t\n\x1c\x1e\xa0①％＠.-ﾟｶ\u0301\u200béΣΑσ@x0123456789电话座机tel苏E·我叫张伟订单号qQ微信"
        )
    ),
    max_size=30,
)


@given(st.lists(_TRICKY, max_size=8))
def test_clean_many_equals_clean_of_each(texts: list[str]) -> None:
    assert clean_many(texts) == [clean(t) for t in texts]


@given(st.lists(_TRICKY, max_size=8))
def test_normalize_many_equals_normalize_of_each(texts: list[str]) -> None:
    assert normalize_many(texts) == [normalize(t) for t in texts]


def test_clean_many_keeps_texts_apart() -> None:
    # Marks repeated across two texts stay; a phone number split across them is not one.
    texts = ["请回电！", "！谢谢", "联系13812", "345678", "ΑΣ", "Β"]
    assert clean_many(texts) == [clean(t) for t in texts]
    assert clean_many(texts)[1:4] == ["!谢谢", "联系13812", "345678"]


def test_many_texts_go_in_batches_with_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("nlp.text.CLEAN_BATCH", 3)  # 8 texts in three batches, one holding the separator
    texts = ["请回电！！", "电话13812345678", "ＡＢＣ　苏E12345", "a\x1eb", "", "联系13812", "345678", "Σ"]
    assert clean_many(texts) == [clean(t) for t in texts]
    assert normalize_many(texts) == [normalize(t) for t in texts]


@pytest.mark.parametrize("func", [clean_many, normalize_many])
def test_batches_refuse_non_strings_as_one_text_does(func: object) -> None:
    with pytest.raises(TypeError, match="expected str, got int"):
        func(["好", 3])  # type: ignore[operator]
