"""Every written form of personal data is masked; ordinary numbers survive (table-driven, generated)."""

from __future__ import annotations

import pytest

from demo.pii import PLACEHOLDER, digits_of, leaked, ordinary_cases, pii_cases
from nlp.text import MASKS, clean, clean_many, mask_pii

PII = [case for seed in range(3) for case in pii_cases(seed=seed)]
ORDINARY = [case for seed in range(3) for case in ordinary_cases(seed=seed)]


def test_the_tables_are_large_enough() -> None:
    assert len(PII) >= 80 and len(ORDINARY) >= 60
    assert {c.kind for c in PII} == {
        "mobile",
        "landline",
        "id_number",
        "bank_card",
        "email",
        "plate",
        "qq/wechat",
        "name",
    }


@pytest.mark.parametrize("mask", [mask_pii, clean], ids=["mask_pii", "clean"])
def test_every_form_of_personal_data_is_masked(mask: object) -> None:
    left = [(c.kind, c.form, c.text, out) for c in PII if leaked(c, out := mask(c.text))]  # type: ignore[operator]
    assert left == []


def test_batches_mask_the_same() -> None:
    texts = [c.text for c in PII + ORDINARY]
    assert clean_many(texts) == [clean(t) for t in texts]


def test_masks_keep_the_words_around() -> None:
    assert mask_pii("我的手机号１３８．１２３４．５６７８，请尽快回电") == "我的手机号[手机号],请尽快回电"
    assert mask_pii("你好，我叫张伟，家住姑苏区") == "你好,我叫[姓名],家住姑苏区"
    assert mask_pii("邮箱zhang.san@example.com 联系") == "邮箱[邮箱] 联系"


@pytest.mark.parametrize("mask", [mask_pii, clean], ids=["mask_pii", "clean"])
def test_ordinary_numbers_are_left_as_written(mask: object) -> None:
    altered = [(c.form, c.text, out) for c in ORDINARY if digits_of(out := mask(c.text)) != digits_of(c.text)]  # type: ignore[operator]
    assert altered == []


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("我叫了救护车", "我叫了救护车"),
        ("我是业主,楼下停车难", "我是业主,楼下停车难"),
        ("请填写姓名和电话", "请填写姓名和电话"),
        ("本人想咨询公积金", "本人想咨询公积金"),
        ("我是张家港人", "我是张家港人"),
        ("新iPhone", "新iPhone"),
        ("苏AB几", "苏AB几"),
    ],
)
def test_words_like_names_or_plates_stay(text: str, kept: str) -> None:
    assert mask_pii(text) == kept


def test_a_pii_word_before_a_label_wins() -> None:
    # 编号 alone labels an ordinary number; 身份证编号 announces an ID number.
    assert mask_pii("身份证编号320502199001011234") == "身份证编号[身份证号]"
    assert mask_pii("编号320502199001011234") == "编号320502199001011234"


def test_a_labelled_number_does_not_shield_what_follows() -> None:
    assert mask_pii("订单号2022041500012345 电话13812345678") == "订单号2022041500012345 电话[手机号]"


def test_the_placeholder_pattern_knows_every_mask() -> None:
    assert all(PLACEHOLDER.fullmatch(mask) for mask in MASKS.values())


def test_the_cases_can_fail() -> None:
    # The leak check itself: an unmasked item is reported.
    case = next(c for c in PII if c.kind == "mobile")
    assert leaked(case, case.text)
