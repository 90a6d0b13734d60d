from __future__ import annotations

import subprocess
import sys

import pytest

from demo import topics as catalogue
from demo.data import read_pools, read_rows
from nlp.places import resolve_ticket


def test_every_topic_has_each_kind_of_phrase() -> None:
    base = catalogue.topics()
    assert len(base) >= 30 and len({t.key for t in base}) == len(base)
    for topic in base:
        assert topic.titles and topic.facts and topic.questions and topic.demands, topic.key
        assert topic.weight > 0 and 0 < topic.consult_rate < 1
    assert {t.covid for t in base} == {True, False}


def test_departments_agree_across_tables() -> None:
    departments = set(catalogue.confusable())
    assert {t.department for t in catalogue.topics()} == departments
    assert {d for ds in catalogue.confusable().values() for d in ds} <= departments
    assert all(len(ds) == 2 and d not in ds for d, ds in catalogue.confusable().items())
    assert {d for _, ds in catalogue.vague_wordings() for d in ds} <= departments
    assert all(len(ds) >= 2 for _, ds in catalogue.vague_wordings())


def test_names_that_fill_slots_name_no_place() -> None:
    # A road or estate drawn at random for any district must not name a place the resolver
    # knows (金鸡湖大道 is in 苏州工业园区): the ticket's own place phrase decides its labels.
    pools = read_pools("names")
    names = [a + b for a in pools["compound_a"] for b in pools["compound_b"]]
    names += [*pools["road"], *pools["school"], *pools["hospital"], *pools["company"]]
    assert [name for name in names if resolve_ticket("", f"{name}门口").matches] == []


def test_places_and_channels() -> None:
    assert list(catalogue.district_weights()) == list(catalogue.districts())
    assert all(streets for streets in catalogue.districts().values())
    assert "电话" in catalogue.channels() and all(w > 0 for w in catalogue.channels().values())


def test_emerging_topics_are_placed_and_profiled() -> None:
    injected = catalogue.emerging_topics()
    assert [t.key for t in injected] == ["site_noise", "parking_bundle", "code_outage", "water_outage"]
    for topic in injected:
        assert topic.street in catalogue.districts()[topic.district]
        assert topic.keywords and topic.titles and topic.texts and all(0 < s < 1 for s in topic.profile)


def test_pools_keep_empty_items_and_order() -> None:
    words = read_pools("wording")
    assert words["opener"][:2] == ("", "")  # an empty opener is as likely as each phrase
    assert words["refile"][-1] == ""
    assert len(read_pools("names")["surname"]) == len(set(read_pools("names")["surname"]))


def test_an_unknown_table_is_refused() -> None:
    with pytest.raises(ValueError, match="expected a shipped demo table"):
        read_rows("nothere")


def test_importing_the_generators_reads_nothing() -> None:
    code = "import demo.corpus, demo.probes; from demo.data import read_rows; print(read_rows.cache_info().misses)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "0"
