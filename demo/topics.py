"""The topics the demo corpus is written from: Suzhou departments and what citizens ask them.

Each topic is data (``demo/data/topics.csv`` and its phrases in ``phrases.csv``): a department,
whether it is COVID-related, how often it comes up, how often it is a consultation, and phrase
pools that :mod:`demo.corpus` combines with places, times and personal details. Slots in braces
are filled per ticket. Every table is read once, on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from operator import itemgetter

from demo.data import grouped, read_rows
from nlp.places import builtin_places

__all__ = [
    "Emerging",
    "Topic",
    "channels",
    "communities",
    "confusable",
    "district_weights",
    "districts",
    "divisions",
    "emerging_topics",
    "landmarks",
    "topics",
    "vague_wordings",
]


@dataclass(frozen=True)
class Topic:
    """A topic of the base stream of tickets."""

    key: str
    department: str
    weight: float
    titles: tuple[str, ...]
    facts: tuple[str, ...]
    questions: tuple[str, ...]
    demands: tuple[str, ...]
    covid: bool = False
    consult_rate: float = 0.12


@dataclass(frozen=True)
class Emerging:
    """A topic injected on top of the base stream, surging from ``start_week``."""

    key: str
    label: str
    department: str
    covid: bool
    district: str
    street: str
    place: str
    keywords: tuple[str, ...]
    titles: tuple[str, ...]
    texts: tuple[str, ...]
    start_week: int  # 0-based week index
    profile: tuple[float, ...]  # extra tickets per week from start_week on, as shares of a week's volume (see
    # demo.corpus.surge_counts: at least SURGE_FLOOR tickets a week up to the peak in a thin stream)


@cache
def _phrases() -> dict[tuple[str, str], tuple[str, ...]]:
    """Every topic's phrases, by (topic key, kind)."""
    return grouped(read_rows("phrases"), lambda row: (row["topic"], row["kind"]), "text")


@cache
def topics() -> tuple[Topic, ...]:
    """The base stream's topics, in file order."""
    phrases = _phrases()
    return tuple(
        Topic(
            key=row["key"],
            department=row["department"],
            weight=float(row["weight"]),
            titles=phrases[(row["key"], "title")],
            facts=phrases[(row["key"], "fact")],
            questions=phrases[(row["key"], "question")],
            demands=phrases[(row["key"], "demand")],
            covid=row["covid"] == "1",
            consult_rate=float(row["consult_rate"]),
        )
        for row in read_rows("topics")
    )


@cache
def emerging_topics() -> tuple[Emerging, ...]:
    """The injected topics, in file order."""
    phrases = _phrases()
    return tuple(
        Emerging(
            key=row["key"],
            label=row["label"],
            department=row["department"],
            covid=row["covid"] == "1",
            district=row["district"],
            street=row["street"],
            place=row["place"],
            keywords=tuple(row["keywords"].split()),
            titles=phrases[(row["key"], "title")],
            texts=phrases[(row["key"], "text")],
            start_week=int(row["start_week"]),
            profile=tuple(float(share) for share in row["profile"].split()),
        )
        for row in read_rows("emerging")
    )


@cache
def vague_wordings() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Wordings that fit several departments, each with those departments.

    The label of such a ticket is drawn among them, so these are the tickets a good router is unsure about.
    """
    return tuple(grouped(read_rows("vague"), itemgetter("text"), "department").items())


@cache
def confusable() -> dict[str, tuple[str, ...]]:
    """For each department, the departments whose work overlaps with it (real routing mixes them up)."""
    return grouped(read_rows("departments"), itemgetter("department"), "confused_with")


@cache
def divisions() -> dict[str, tuple[str, ...]]:
    """Every street, town and zone of each district, from the shipped gazetteer (:mod:`nlp.places`), in its order."""
    out: dict[str, list[str]] = {district: [] for district in district_weights()}
    for place in builtin_places():
        if place.level == "street":
            out[place.district].append(place.name)
    return {district: tuple(streets) for district, streets in out.items()}


@cache
def districts() -> dict[str, tuple[str, ...]]:
    """Suzhou's districts and county-level cities, with the streets and towns (街道/镇) tickets are placed in.

    The gazetteer's (:func:`divisions`), so that the demo city has the real divisions. Its
    development zones, farms and parks (开发区, 林场 ...) are left out: they are units of the
    catalogue (:mod:`demo.units`), not where callers say they live.
    """
    return {
        district: tuple(s for s in streets if s.endswith(("街道", "镇"))) for district, streets in divisions().items()
    }


@cache
def communities() -> dict[str, tuple[str, ...]]:
    """The communities and villages (社区/村) of each street or town of :func:`districts`, from the gazetteer."""
    streets = {street for names in districts().values() for street in names}
    out: dict[str, list[str]] = {}
    for place in builtin_places():
        if place.level == "community" and place.street in streets:
            out.setdefault(place.street, []).append(place.name)
    return {street: tuple(names) for street, names in out.items()}


@cache
def landmarks() -> dict[str, tuple[tuple[str, str], ...]]:
    """The shipped landmarks of each district, as ``(name, street)`` (street "" when the list does not say)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for place in builtin_places():
        if place.level == "landmark":
            out.setdefault(place.district, []).append((place.name, place.street))
    return {district: tuple(items) for district, items in out.items()}


@cache
def district_weights() -> dict[str, float]:
    """Rough shares of tickets by district (population-weighted)."""
    return {row["district"]: float(row["weight"]) for row in read_rows("districts")}


@cache
def channels() -> dict[str, float]:
    """Filing channels and their shares of tickets."""
    return {row["channel"]: float(row["weight"]) for row in read_rows("channels")}
