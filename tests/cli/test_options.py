from __future__ import annotations

import argparse

import pytest

from cli.options import iso_date, number


@pytest.mark.parametrize(
    ("kind", "low", "high", "low_open", "text", "value"),
    [
        (int, 1, None, False, "1", 1),
        (int, None, None, False, "-7", -7),
        (float, 0, 1, False, "0", 0.0),
        (float, 0, 1, False, "1", 1.0),
        (float, 0, 1, True, "0.97", 0.97),
        (float, 0, None, True, "1e-3", 0.001),
    ],
)
def test_values_in_range_are_parsed(kind, low, high, low_open: bool, text: str, value: float) -> None:
    parsed = number(kind, low, high, low_open=low_open)(text)
    assert parsed == value and type(parsed) is kind


@pytest.mark.parametrize(
    ("kind", "low", "high", "low_open", "text", "message"),
    [
        (int, 1, None, False, "0", "expected a whole number >= 1, got 0"),
        (int, 1, None, False, "1.5", "expected a whole number >= 1, got '1.5'"),
        (int, 1, 65535, False, "70000", "expected a whole number in [1, 65535], got 70000"),
        (float, 0, 1, True, "0", "expected a number in (0, 1], got 0.0"),
        (float, 0, 1, True, "1.5", "expected a number in (0, 1], got 1.5"),
        (float, 0, 1, False, "-0.1", "expected a number in [0, 1], got -0.1"),
        (float, 0, 1, False, "lots", "expected a number in [0, 1], got 'lots'"),
        (float, 0, None, True, "inf", "expected a number > 0, got inf"),
        (float, None, None, False, "nan", "expected a number, got nan"),
    ],
)
def test_values_out_of_range_say_what_was_expected(kind, low, high, low_open: bool, text: str, message: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError) as refused:
        number(kind, low, high, low_open=low_open)(text)
    assert str(refused.value) == message


def test_iso_date() -> None:
    assert iso_date("2022-03-07").isoformat() == "2022-03-07"
    with pytest.raises(argparse.ArgumentTypeError, match="expected a date such as 2022-03-07, got '7 March'"):
        iso_date("7 March")
