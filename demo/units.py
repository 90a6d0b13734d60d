"""The demo city's handling units and the dispatch of each generated ticket to one of them.

Suzhou dispatches work orders to about 900 units through 11 platforms: its 10 districts and
county-level cities, and the city level (市级). The demo catalogue follows that shape: city
departments, utilities and mass organisations at 市级; in every district its departments,
its streets and towns, and its mass organisations. A ticket's unit follows how dispatch
works: some matters always stay at city level (the provident fund, the health code), some
go to a utility whatever the district (buses, water supply), the rest go to the district's
department or to the street office of the place where the problem is, when the ticket says
where; a ticket that names no place goes to the city-level counterpart.

The place the ticket gives is controlled here too (``place_given``: district, street, none,
two places), by a phrase added to the text, so that evaluation can report accuracy by how the
place was given. Some tickets were first sent to another unit and transferred (``first_unit``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import pandas as pd

from demo.topics import districts

__all__ = ["CITY", "PLACE_GIVEN", "catalogue", "dispatch"]

CITY = "市级"

# Where each demo topic is handled: (level, function). Levels: "city" (a city department,
# whatever the place), "utility" (a city-wide company), "district" (the district's department
# of that function), "street" (the street office or town government of the problem's place).
_ROUTING: dict[str, tuple[str, str]] = {
    "bus": ("utility", "苏州公交集团"),
    "taxi": ("city", "市交通运输局"),
    "road_damage": ("district", "交通运输局"),
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
    "pcr_test": ("district", "卫生健康委员会"),
    "rabies_vaccine": ("district", "卫生健康委员会"),
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
}
# A district function's counterpart at city level, where a ticket with no place goes.
_CITY_COUNTERPART = {
    "交通运输局": "市交通运输局",
    "公安分局": "市公安局",
    "市场监督管理局": "市市场监督管理局",
    "住房和城乡建设局": "市住房和城乡建设局",
    "卫生健康委员会": "市卫生健康委员会",
    "生态环境局": "市生态环境局",
    "城市管理局": "市城市管理局",
    "教育局": "市教育局",
    "人力资源和社会保障局": "市人力资源和社会保障局",
    "水务局": "市水务局",
    "": "市民政局",  # street matters with no place: the city's community affairs
}
# Departments every district has (the routing table's and the rest of a district government).
_DISTRICT_DEPARTMENTS = (
    *sorted({f for level, f in _ROUTING.values() if level == "district"}),
    *[
        "发展和改革委员会",
        "工业和信息化局",
        "民政局",
        "司法局",
        "财政局",
        "自然资源和规划局",
        "农业农村局",
        "商务局",
        "文体旅局",
        "应急管理局",
        "审计局",
        "统计局",
        "医疗保障局",
        "退役军人事务局",
        "信访局",
        "行政审批局",
        "数据局",
        "税务局",
        "消防救援大队",
        "综合行政执法局",
        "房屋征收管理办公室",
        "住房保障中心",
        "人民法院",
        "人民检察院",
        "档案馆",
        "机关事务管理局",
        "城市建设投资公司",
        "供电分公司",
        "总工会",
        "妇女联合会",
        "团委",
        "残疾人联合会",
        "红十字会",
        "科学技术协会",
        "工商业联合会",
        "侨务办公室",
        "老龄工作委员会",
    ],
)
_CITY_UNITS = (
    *sorted(set(_CITY_COUNTERPART.values()) | {f for level, f in _ROUTING.values() if level == "city"}),
    *[
        "市发展和改革委员会",
        "市工业和信息化局",
        "市司法局",
        "市财政局",
        "市自然资源和规划局",
        "市农业农村局",
        "市商务局",
        "市文化广电和旅游局",
        "市应急管理局",
        "市审计局",
        "市统计局",
        "市退役军人事务局",
        "市信访局",
        "市行政审批局",
        "市人民防空办公室",
        "市园林和绿化管理局",
        "市地方金融监督管理局",
        "市机关事务管理局",
        "市档案馆",
        "市气象局",
        "市税务局",
        "市消防救援支队",
        "市邮政管理局",
        "市烟草专卖局",
        "市总工会",
        "团市委",
        "市妇女联合会",
        "市残疾人联合会",
        "市红十字会",
        "市科学技术协会",
        "市工商业联合会",
        "市文学艺术界联合会",
    ],
)
_UTILITIES = (
    "苏州公交集团",
    "苏州市自来水有限公司",
    "国网苏州供电公司",
    "港华燃气苏州公司",
    "苏州轨道交通集团",
    "中国移动苏州分公司",
    "中国电信苏州分公司",
    "中国联通苏州分公司",
    "苏州广电网络公司",
    "苏州城投公司",
    "苏州市排水有限公司",
    "苏州市环境卫生管理处",
)

# How the demo tickets give their place, and how often.
PLACE_GIVEN = {"district": 0.2, "street": 0.35, "none": 0.3, "two_places": 0.15}
_TRANSFERRED = 0.08  # share of tickets first sent to a wrong unit


def _street_unit(street: str) -> str:
    return f"{street}办事处" if street.endswith("街道") else f"{street}人民政府"


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
    (street office or town government), enterprise or organisation (party and mass organisations).
    """
    units: list[_Unit] = []

    def add(name: str, platform: str, kind: str, parent: str) -> None:
        units.append(_Unit(f"U{len(units) + 1:04d}", name, platform, kind, parent))

    organisations = {"总工会", "妇女联合会", "团委", "残疾人联合会", "红十字会", "科学技术协会", "工商业联合会"}
    for name in _CITY_UNITS:
        kind = "organisation" if name.startswith(("市总工会", "团市委")) or name.endswith("联合会") else "department"
        add(name, CITY, "organisation" if name == "市红十字会" else kind, "苏州市人民政府")
    for name in _UTILITIES:
        add(name, CITY, "enterprise", "苏州市人民政府")
    for district, streets in districts().items():
        for function in _DISTRICT_DEPARTMENTS:
            kind = "organisation" if function in organisations else "department"
            kind = "enterprise" if function.endswith("公司") else kind
            add(f"{district}{function}", district, kind, district)
        for street in streets:
            add(_street_unit(street), district, "street", district)
    return pd.DataFrame([u.__dict__ for u in units])


def dispatch(frame: pd.DataFrame, *, seed: int) -> pd.DataFrame:
    """``frame`` (generated tickets) with the place phrase, ``platform``, ``unit``, ``first_unit``, ``place_given``.

    The problem's place is the ticket's ``district`` and ``street``. The text gets a phrase
    naming it at the drawn precision; with two places, the caller's home in another district
    is named first, then the problem's street.
    """
    rng = random.Random(seed)
    platform_of = dict(zip(*(catalogue()[c] for c in ("name", "platform")), strict=True))
    all_streets = [(d, s) for d, streets in districts().items() for s in streets]
    rows = []
    for ticket in frame.itertuples(index=False):
        district, street, topic = str(ticket.district), str(ticket.street), str(ticket.topic)
        given = rng.choices(list(PLACE_GIVEN), weights=list(PLACE_GIVEN.values()))[0]
        text = str(ticket.text)
        if any(name in text for name in (district, street)):
            given = "district" if street not in text else "street"  # the generator named it already
        elif given == "district":
            text = rng.choice(("{d}这边，", "在{d}，", "{d}的情况：")).format(d=district) + text
        elif given == "street":
            text = rng.choice(("{s}这边，", "地点在{s}。", "{s}附近，")).format(s=street) + text
        elif given == "two_places":
            home_district, home = rng.choice([p for p in all_streets if p[0] != district])
            text = f"我住在{home_district}{home}，反映的是{street}那边的事：" + text
        unit = _unit_of(topic, district, street, located=given != "none")
        first = _misrouted(rng, unit, topic, district) if rng.random() < _TRANSFERRED else unit
        rows.append((text, platform_of[unit], unit, first, given))
    out = frame.copy()
    out["text"], out["platform"], out["unit"], out["first_unit"], out["place_given"] = zip(*rows, strict=True)
    return out


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
