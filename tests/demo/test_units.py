"""The demo city's unit catalogue and how generated tickets are dispatched to it."""

from __future__ import annotations

import pandas as pd
import pytest

from demo.corpus import generate
from demo.topics import landmarks
from demo.units import CITY, PLACE_GIVEN, catalogue
from nlp.places import PLATFORMS, builtin_places, resolve_ticket


@pytest.fixture(scope="module")
def tickets() -> pd.DataFrame:
    return generate(n=3000, weeks=4, seed=11)[0]


def test_catalogue_has_the_city_scale_and_shape() -> None:
    units = catalogue()
    assert 850 <= len(units) <= 950  # Suzhou: 892 units
    assert units["name"].is_unique and units["unit_id"].is_unique
    assert set(units["platform"]) == {*PLATFORMS, CITY}
    assert set(units["kind"]) == {"department", "street", "enterprise", "organisation"}
    # Every street, town and zone of the gazetteer is a unit of its own district's platform.
    streets = [p for p in builtin_places() if p.level == "street"]
    street_units = units[units["kind"] == "street"]
    assert len(street_units) == len(streets)
    for place in streets:
        (platform,) = street_units.loc[street_units["name"].str.startswith(place.name), "platform"].unique()
        assert platform == place.district
    # A district's own units are named after it; city units have the city government as parent.
    district_units = units[units["platform"] != CITY]
    assert all(
        name.startswith(p) or kind == "street" for name, p, kind in district_units[["name", "platform", "kind"]].values
    )
    assert set(units.loc[units["platform"] == CITY, "parent"]) == {"苏州市人民政府"}


def test_every_ticket_goes_to_a_catalogue_unit_of_its_platform(tickets: pd.DataFrame) -> None:
    platform_of = dict(zip(catalogue()["name"], catalogue()["platform"], strict=True))
    assert set(tickets["unit"]) <= set(platform_of) and set(tickets["first_unit"]) <= set(platform_of)
    assert all(platform_of[u] == p for u, p in zip(tickets["unit"], tickets["platform"], strict=True))
    assert set(tickets["place_given"]) == set(PLACE_GIVEN)
    assert tickets["unit"].nunique() > 150  # the streets, each district's departments, the utilities
    transferred = (tickets["first_unit"] != tickets["unit"]).mean()
    assert 0.03 < transferred < 0.15


def test_a_ticket_without_a_place_stays_at_city_level(tickets: pd.DataFrame) -> None:
    assert (tickets.loc[tickets["place_given"] == "none", "platform"] == CITY).all()


def test_utilities_take_their_matters_whatever_the_district(tickets: pd.DataFrame) -> None:
    power = tickets[tickets["topic"] == "power_outage"]
    assert len(power) > 10 and set(power["unit"]) == {"国网苏州供电公司"}
    assert power["district"].nunique() > 3  # callers from everywhere


def test_the_named_place_resolves_to_the_ticket_platform(tickets: pd.DataFrame) -> None:
    """Street, community and landmark phrases name a place of the problem's district (the resolver finds it)."""
    local = tickets[(tickets["platform"] != CITY) & tickets["place_given"].isin(["street", "community", "landmark"])]
    assert len(local) > 200
    resolved = [resolve_ticket(str(t), str(x)).district for t, x in zip(local["title"], local["text"], strict=True)]
    assert (pd.Series(resolved, index=local.index) == local["platform"]).mean() > 0.9


def test_landmark_tickets_name_a_landmark_of_their_district(tickets: pd.DataFrame) -> None:
    rows = tickets[tickets["place_given"] == "landmark"]
    assert len(rows) > 50
    for district, text in zip(rows["district"], rows["text"], strict=True):
        assert any(text.startswith((name, f"在{name}")) for name, _ in landmarks()[district])


def test_two_place_tickets_resolve_to_the_problem_place_not_home(tickets: pd.DataFrame) -> None:
    rows = tickets[(tickets["place_given"] == "two_places") & (tickets["platform"] != CITY)]
    assert len(rows) > 100
    resolved = [resolve_ticket(str(t), str(x)).district for t, x in zip(rows["title"], rows["text"], strict=True)]
    assert (pd.Series(resolved, index=rows.index) == rows["district"]).mean() > 0.95
    assert rows["text"].str.slice(0, 4).nunique() > 20  # several wordings, not one template
