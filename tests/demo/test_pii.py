"""The generated personal-data cases: deterministic, each holding its secret, and a leak check that can tell."""

from __future__ import annotations

from demo.pii_cases import Case, digits_of, leaked, ordinary_cases, pii_cases


def test_same_seed_same_cases_and_another_seed_other_cases() -> None:
    assert pii_cases(seed=0) == pii_cases(seed=0)
    assert ordinary_cases(seed=0) == ordinary_cases(seed=0)
    assert pii_cases(seed=0) != pii_cases(seed=1)


def test_each_personal_case_holds_its_secret_and_ordinary_cases_hold_none() -> None:
    for case in pii_cases(seed=2, rounds=2):
        assert case.secret and case.secret in case.text, case
    for case in ordinary_cases(seed=2, rounds=2):
        assert case.secret == "", case
    assert sum(bool(digits_of(case.text)) for case in ordinary_cases(seed=2, rounds=2)) > 50  # numbers to keep


def test_leaked_tells_a_masked_text_from_the_original() -> None:
    mobile = Case("mobile", "plain", "我的手机号13912345678，请回电", "13912345678")
    assert leaked(mobile, mobile.text)
    assert not leaked(mobile, "我的手机号[手机号]，请回电")
    name = Case("name", "我叫", "你好，我叫王芳，家住姑苏区", "王芳")
    assert leaked(name, name.text) and leaked(name, "我叫[姓名]芳")  # the given name alone still identifies
    assert not leaked(name, "你好，我叫[姓名]，家住姑苏区")
