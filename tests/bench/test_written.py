"""The hand-written tickets of bench.written: well-formed, and their places resolve to their labels."""

from __future__ import annotations

import pandas as pd

from bench.written import TICKETS, groups
from nlp.places import PLATFORMS, resolve_ticket
from nlp.routing import CITY


def test_the_file_is_well_formed() -> None:
    tickets = pd.read_csv(TICKETS, dtype=str)
    assert list(tickets.columns) == ["id", "written", "place_given", "platform", "text"]
    assert tickets["id"].is_unique and set(tickets["written"]) == {"before", "after"}
    assert set(tickets["place_given"]) == {"district", "street", "community", "landmark", "none", "two_places"}
    assert set(tickets["platform"]) <= {*PLATFORMS, CITY}
    masks = groups(tickets)
    assert all(mask.any() for mask in masks.values())


def test_the_problem_place_of_each_local_ticket_is_its_platform() -> None:
    tickets = pd.read_csv(TICKETS, dtype=str)
    local = tickets[(tickets["platform"] != CITY) & (tickets["place_given"] != "none")]
    resolved = {row.id: resolve_ticket("", row.text).district for row in local.itertuples()}
    wrong = {i: d for i, d in resolved.items() if d != local.set_index("id").at[i, "platform"]}
    assert wrong == {}
