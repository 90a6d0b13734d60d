from __future__ import annotations

import pandas as pd

from demo.kb import TOPICS, demo_kb, synthetic_entries
from kb.entries import validate_entries


def test_same_seed_same_data_and_valid_entries() -> None:
    first, second = demo_kb(3), demo_kb(3)
    pd.testing.assert_frame_equal(first.test, second.test)
    validate_entries(first.entries)  # raises on a bad row
    assert first.entries["id"].is_unique


def test_calibration_and_test_use_different_situations() -> None:
    kb = demo_kb(0)
    for topic in TOPICS:
        calibration_only, test_only = topic.situations[0::2], topic.situations[1::2]
        assert not any(s in t for s in test_only for t in kb.calibration["text"])
        assert not any(s in t for s in calibration_only for t in kb.test["text"])


def test_gold_is_the_version_valid_when_asked() -> None:
    kb = demo_kb(0)
    entries = kb.entries.set_index("id")
    answerable = kb.test[kb.test["gold"] != ""]
    assert set(answerable["gold"]) <= set(entries.index)
    for gold, asked in zip(answerable["gold"], answerable["asked_at"], strict=True):
        entry = entries.loc[gold]
        assert entry["valid_from"] == "" or entry["valid_from"] <= asked[:10]
        assert entry["valid_to"] == "" or asked[:10] <= entry["valid_to"]
    kinds = set(kb.test["kind"])
    assert {"confusable", "versioned", "unanswerable", "expired"} <= kinds


def test_synthetic_entries_are_sized_and_unique_by_id() -> None:
    frame = synthetic_entries(500, seed=1)
    assert len(frame) == 500 and frame["id"].is_unique
    assert frame["question"].nunique() > 400
