"""The demo city's handling units and the dispatch of each generated ticket to one of them.

Suzhou dispatches work orders to about 900 units through 11 platforms: its 10 districts and
county-level cities, and the city level (市级). The demo catalogue has that size and shape
(``demo/data/units.csv``): city departments, hospitals, utilities and mass organisations at
市级; in every district its departments, its enterprises and organisations, and every street,
town and zone of the gazetteer (:mod:`nlp.places`). A ticket's unit follows how dispatch
works: some matters always stay at city level (the provident fund, the health code), some go
to a utility whatever the district (buses, water, power, gas), the rest go to the district's
department or to the street office of the place where the problem is, when the ticket says
where; a ticket that names no place goes to the city-level counterpart.

The place the ticket gives is controlled here too (``place_given``: district, street,
community, landmark, none, two places), by a phrase added to the text, so that evaluation can
report accuracy by how the place was given. Some tickets were first sent to another unit and
transferred (``first_unit``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache

import pandas as pd

from demo.data import read_rows
from demo.topics import communities, districts, divisions, landmarks
from nlp.places.gazetteer import bare_names
from nlp.routing import CITY

__all__ = ["CITY", "PLACE_GIVEN", "catalogue", "dispatch"]

_CITY_PARENT = "苏州市人民政府"

# Where each demo topic is handled: (level, function). Levels: "city" (a city unit, whatever
# the place), "utility" (a city-wide company), "district" (the district's unit of that
# function), "street" (the street office or town government of the problem's place).
_ROUTING: dict[str, tuple[str, str]] = {
    "bus": ("utility", "苏州公交集团"),
    "taxi": ("city", "市交通运输局"),
    "road_damage": ("district", "市政设施管理所"),
    "ebike_theft": ("district", "公安分局"),
    "neighbour_noise": ("district", "公安分局"),
    "hukou": ("district", "公安分局"),
    "elevator": ("district", "市场监督管理局"),
    "house_quality": ("district", "住房和城乡建设局"),
    "maintenance_fund": ("district", "住房和城乡建设局"),
    "parking_bundle": ("district", "住房和城乡建设局"),
    "property_fee": ("street", ""),
    "housing_fund": ("city", "市住房公积金管理中心"),
    "code_outage": ("city", "市大数据管理局"),
    "health_code": ("city", "市大数据管理局"),
    "covid_vaccine": ("district", "卫生健康委员会"),
    "pcr_test": ("district", "疾病预防控制中心"),
    "rabies_vaccine": ("district", "疾病预防控制中心"),
    "health_certificate": ("district", "卫生健康委员会"),
    "flu": ("city", "市卫生健康委员会"),
    "hospital": ("city", "市卫生健康委员会"),
    "covid_work": ("street", ""),
    "lockdown_supplies": ("street", ""),
    "quarantine": ("street", ""),
    "factory_noise": ("district", "生态环境局"),
    "factory_pollution": ("district", "生态环境局"),
    "restaurant_fumes": ("district", "生态环境局"),
    "food_safety": ("district", "市场监督管理局"),
    "prepaid_card": ("district", "市场监督管理局"),
    "price": ("district", "市场监督管理局"),
    "garbage": ("street", ""),
    "street_vending": ("street", ""),
    "illegal_building": ("district", "城市管理局"),
    "muck_truck": ("district", "城市管理局"),
    "site_noise": ("district", "城市管理局"),
    "medical_insurance": ("city", "市医疗保障局"),
    "school_admission": ("district", "教育局"),
    "school_canteen": ("district", "教育局"),
    "training_institution": ("district", "教育局"),
    "social_insurance": ("city", "市人力资源和社会保障局"),
    "talent_subsidy": ("city", "市人力资源和社会保障局"),
    "unpaid_wages": ("district", "人力资源和社会保障局"),
    "water_outage": ("utility", "苏州市自来水有限公司"),
    "water_supply": ("utility", "苏州市自来水有限公司"),
    "drainage": ("district", "水务局"),
    "power_outage": ("utility", "国网苏州供电公司"),
    "gas_supply": ("utility", "港华燃气苏州公司"),
    "street_light": ("district", "市政设施管理所"),
    "greenery": ("district", "园林绿化管理所"),
    "shared_bikes": ("street", ""),
    "public_toilet": ("district", "环境卫生管理所"),
    "river_rubbish": ("district", "水务局"),
    "dog": ("district", "公安分局"),
    "illegal_parking": ("district", "公安分局交警大队"),
    "group_rental": ("street", ""),
    "fire_hazard": ("district", "消防救援大队"),
    "rural_housing": ("street", ""),
    "tourism": ("district", "文体旅局"),
    "market": ("district", "市场监督管理局"),
    "metro": ("utility", "苏州轨道交通集团"),
}
# A district function's counterpart at city level, where a ticket with no place goes.
_CITY_COUNTERPART = {
    "市政设施管理所": "市市政设施管理处",
    "公安分局": "市公安局",
    "市场监督管理局": "市市场监督管理局",
    "住房和城乡建设局": "市住房和城乡建设局",
    "卫生健康委员会": "市卫生健康委员会",
    "疾病预防控制中心": "市疾病预防控制中心",
    "生态环境局": "市生态环境局",
    "城市管理局": "市城市管理局",
    "教育局": "市教育局",
    "人力资源和社会保障局": "市人力资源和社会保障局",
    "水务局": "市水务局",
    "园林绿化管理所": "市园林和绿化管理局",
    "环境卫生管理所": "市环境卫生管理处",
    "公安分局交警大队": "市公安局交通警察支队",
    "消防救援大队": "市消防救援支队",
    "文体旅局": "市文化广电和旅游局",
    "": "市民政局",  # street matters with no place: the city's community affairs
}
_STREET_SUFFIXES = (
    ("街道", "办事处"),
    ("镇", "人民政府"),
    ("区", "管理委员会"),
    ("城", "管理委员会"),
    ("园", "管理委员会"),
)

# How the demo tickets give their place, and how often.
PLACE_GIVEN = {"district": 0.15, "street": 0.3, "community": 0.12, "landmark": 0.08, "none": 0.22, "two_places": 0.13}
_TRANSFERRED = 0.08  # share of tickets first sent to a wrong unit
_BARE_STREET = 1 / 3  # share of street phrases that name the street without its suffix
# How a ticket names where the caller lives ({hd} {home}) and, elsewhere, the problem ({street}).
# Each resolves to the problem's street (tests/demo/test_units.py checks it).
_TWO_PLACES = (
    "我住在{hd}{home}，反映的是{street}那边的事：",
    "家住{hd}{home}，{street}这边，",
    "我是{hd}{home}的，今天路过{street}，",
    "本人户籍在{hd}，现在{street}这边，",
    "{street}这边（我家在{hd}{home}），",
    "我家在{hd}，{street}有个情况：",
)


def _street_unit(street: str) -> str:
    """The unit of a street, town or zone: its street office, town government or management committee."""
    suffix = next((unit for end, unit in _STREET_SUFFIXES if street.endswith(end)), "")
    return f"{street}{suffix}"


@dataclass(frozen=True)
class _Unit:
    unit_id: str
    name: str
    platform: str
    kind: str
    parent: str


def catalogue() -> pd.DataFrame:
    """The demo city's units: ``unit_id, name, platform, kind, parent``.

    ``platform`` is one of the 10 districts or ``市级``; ``kind`` is department, street
    (street office, town government or zone committee), enterprise or organisation (party and
    mass organisations). A district's units are named after it (吴中区教育局).
    """
    return pd.DataFrame([u.__dict__ for u in _units()], columns=["unit_id", "name", "platform", "kind", "parent"])


@cache
def _units() -> tuple[_Unit, ...]:
    rows = read_rows("units")
    units: list[tuple[str, str, str, str]] = [
        (r["name"], CITY, r["kind"], _CITY_PARENT) for r in rows if r["level"] == "city"
    ]
    for district in districts():
        units += [(f"{district}{r['name']}", district, r["kind"], district) for r in rows if r["level"] == "district"]
        units += [(_street_unit(street), district, "street", district) for street in divisions()[district]]
    return tuple(_Unit(f"U{i:04d}", *unit) for i, unit in enumerate(units, start=1))


def dispatch(frame: pd.DataFrame, *, seed: int) -> pd.DataFrame:
    """``frame`` (generated tickets) with the place phrase, ``platform``, ``unit``, ``first_unit``, ``place_given``.

    The problem's place is the ticket's ``district`` and ``street``. The text gets a phrase
    naming it at the drawn precision: the district, the street, one of the street's
    communities, a landmark of the district (the ticket's street becomes the landmark's when
    the list knows it; matters of a street office need one that does), or, with two places, the
    caller's home in another district first, then the problem's street.
    """
    rng = random.Random(seed)
    platform_of = {u.name: u.platform for u in _units()}
    all_streets = [(d, s) for d, streets in districts().items() for s in streets]
    rows = []
    for ticket in frame.itertuples(index=False):
        district, street, topic = str(ticket.district), str(ticket.street), str(ticket.topic)
        given = rng.choices(list(PLACE_GIVEN), weights=list(PLACE_GIVEN.values()))[0]
        text = str(ticket.text)
        if any(name in text for name in (district, street)):
            given, phrase = ("district" if street not in text else "street"), ""  # the generator named it already
        else:
            given, street, phrase = _place_phrase(rng, given, district, street, topic, all_streets)
        unit = _unit_of(topic, district, street, located=given != "none")
        first = _misrouted(rng, unit, topic, district) if rng.random() < _TRANSFERRED else unit
        rows.append((phrase + text, street, platform_of[unit], unit, first, given))
    out = frame.copy()
    columns = ["text", "street", "platform", "unit", "first_unit", "place_given"]
    out[columns] = pd.DataFrame(rows, columns=columns, index=out.index)
    return out


def _place_phrase(
    rng: random.Random, given: str, district: str, street: str, topic: str, all_streets: list[tuple[str, str]]
) -> tuple[str, str, str]:
    """How the ticket names its place: ``(place_given, the problem's street, phrase)``."""
    if given == "landmark":
        needs_street = _ROUTING[topic][0] == "street"
        choices = [(name, s) for name, s in landmarks().get(district, ()) if s or not needs_street]
        if not choices:
            return _place_phrase(rng, "street", district, street, topic, all_streets)
        name, located = rng.choice(choices)
        return given, located or street, rng.choice(("{p}附近，", "在{p}这边，", "{p}旁边，")).format(p=name)
    if given == "district":
        return given, street, rng.choice(("{d}这边，", "在{d}，", "{d}的情况：")).format(d=district)
    if given == "street":
        # People often drop the suffix (黄埭 for 黄埭镇): a third of the tickets do.
        bare = bare_names(street, "street")[1]
        said = bare if bare and rng.random() < _BARE_STREET else street
        return given, street, rng.choice(("{s}这边，", "地点在{s}。", "{s}附近，")).format(s=said)
    if given == "community":
        community = rng.choice(communities()[street])
        return given, street, rng.choice(("{c}这边，", "我们{c}，", "地点在{c}。")).format(c=community)
    if given == "two_places":
        home_district, home = rng.choice([p for p in all_streets if p[0] != district])
        phrase = rng.choice(_TWO_PLACES).format(hd=home_district, home=home, street=street)
        return given, street, phrase
    return given, street, ""


def _unit_of(topic: str, district: str, street: str, *, located: bool) -> str:
    level, function = _ROUTING[topic]
    if level in ("city", "utility"):
        return function
    if not located:
        return _CITY_COUNTERPART[function]
    return _street_unit(street) if level == "street" else f"{district}{function}"


def _misrouted(rng: random.Random, unit: str, topic: str, district: str) -> str:
    """A plausible wrong first unit: the same function in another district, or a neighbouring department."""
    level, function = _ROUTING[topic]
    if level == "district":
        other = rng.choice([d for d in districts() if d != district])
        return f"{other}{function}"
    if level == "street":
        return f"{district}城市管理局"
    return rng.choice([u for u in ("市民政局", "市城市管理局", "市住房和城乡建设局") if u != unit])
