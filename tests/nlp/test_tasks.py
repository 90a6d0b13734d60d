from __future__ import annotations

import math

import pytest

from nlp.tasks import flag_task, is_binary, parse_binary_label


@pytest.mark.parametrize("value", [1, 1.0, True, "1", " 1.0 ", "TRUE", "Yes", "y", "是", "咨询", "涉疫", "疫情"])
def test_yes_spellings_read_as_one(value: object) -> None:
    assert parse_binary_label(value, "covid") == 1


@pytest.mark.parametrize("value", [0, 0.0, False, "0", "false", "No", "n", "否", "非咨询", "不涉疫", "非疫情"])
def test_no_spellings_read_as_zero(value: object) -> None:
    assert parse_binary_label(value, "covid") == 0


@pytest.mark.parametrize("value", [None, math.nan, "", "  ", "NaN", "none", "null"])
def test_missing_values_read_as_none(value: object) -> None:
    assert parse_binary_label(value, "consultation") is None


def test_demand_types_are_consultations_only_for_the_consultation_task() -> None:
    assert parse_binary_label("投诉", "consultation") == 0
    assert parse_binary_label("咨询", "consultation") == 1
    with pytest.raises(ValueError, match=r"expected 1/0, true/false, 是/否 .*got '投诉'"):
        parse_binary_label("投诉", "covid")


@pytest.mark.parametrize("value", ["2", "maybe", "-1", 2])
def test_unknown_values_are_refused_with_the_expected_spellings(value: object) -> None:
    with pytest.raises(ValueError, match=f"got {value!r}"):
        parse_binary_label(value, "consultation")


def test_flags_are_binary_tasks() -> None:
    assert flag_task("water_outage") == "flag:water_outage"
    assert is_binary(flag_task("water_outage")) and is_binary("covid") and is_binary("consultation")
    assert not is_binary("department") and not is_binary("unit")
