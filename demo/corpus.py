"""Generate the demo corpus: Suzhou-style hotline tickets with known labels and injected trends.

The corpus is written by this project from :mod:`demo.topics` and the names and wording in
``demo/data/`` (:func:`names`, :func:`wording`); it holds no real
ticket. It is deterministic for a seed, has the consultation and COVID shares of Suzhou's
2022 work orders, mixes confusable departments and ambiguous wording so that no classifier
is perfect, and injects emerging topics whose weekly counts go to a side file
(``<out>.trends.json``) for the trend miner's tests.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import asdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd

from demo.data import read_pools
from demo.topics import (
    Emerging,
    Topic,
    channels,
    confusable,
    district_weights,
    districts,
    emerging_topics,
    topics,
    vague_wordings,
)
from demo.units import dispatch
from nlp.atomic import write_atomic
from nlp.tables import write_table

__all__ = ["CONSULTATION_SHARE", "COVID_SHARE", "SURGE_FLOOR", "generate", "surge_counts", "write_corpus"]

# Suzhou 2022: 436,547 consultations among 3,193,549 work orders; 5.8 of 17.03 million demands about COVID.
CONSULTATION_SHARE = 436_547 / (436_547 + 2_757_002)
COVID_SHARE = 5.8 / 17.03
DEPARTMENT_NOISE = 0.01  # share of tickets routed to a confusable department for no visible reason
VAGUE_SHARE = 0.06  # share of tickets worded so vaguely that several departments fit
CONSULTATION_NOISE = 0.02
COVID_NOISE = 0.01
REFILED = 0.03  # share of tickets filed again by the same reporter with small edits
DEFAULT_START = date(2022, 3, 7)  # a Monday (2022-W10)
# An injected surge has at least this many tickets in each week of its rise (up to its peak): in a thin
# stream a surge is an absolute jump, as issue 18's "from 0-1 tickets a week to 7 in a week of 82", not
# 2 tickets of 100 that no analyst could call one. Its profile's shares give more from about 350 tickets a week.
SURGE_FLOOR = 7
SURGE_FLOOR_SHARE = 0.1  # ... but the floor never takes more than this share of a week (a corpus of 50 tickets)

_SLOT = re.compile(r"\{(\w+)\}")


def names() -> dict[str, tuple[str, ...]]:
    """Names that fill slots: compounds (two halves), roads, companies, schools, hospitals, people."""
    return read_pools("names")


def wording() -> dict[str, tuple[str, ...]]:
    """Openers, details, title prefixes and other wording around a ticket's facts (some items empty)."""
    return read_pools("wording")


class _Writer:
    """Fills slots and assembles tickets from one random stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def pick(self, items: tuple[str, ...] | list[str]) -> str:
        return items[self.rng.randrange(len(items))]

    def place(self) -> tuple[str, str]:
        weights = district_weights()
        district = self.rng.choices(list(weights), weights=list(weights.values()))[0]
        return district, self.pick(districts()[district])

    def phone(self) -> str:
        return (
            "1"
            + self.pick(("38", "39", "51", "58", "62", "77", "86", "89"))
            + "".join(str(self.rng.randrange(10)) for _ in range(8))
        )

    def fill(self, template: str, slots: dict[str, str]) -> str:
        def value(match: re.Match[str]) -> str:
            key = match.group(1)
            if key not in slots:
                slots[key] = self.slot(key)
            return slots[key]

        return _SLOT.sub(value, template)

    def slot(self, key: str) -> str:
        r = self.rng
        pools = names()
        makers = {
            "compound": lambda: self.pick(pools["compound_a"]) + self.pick(pools["compound_b"]),
            "road": lambda: self.pick(pools["road"]),
            "company": lambda: self.pick(pools["company"]) + self.pick(pools["company_kind"]),
            "school": lambda: self.pick(pools["school"]),
            "hospital": lambda: self.pick(pools["hospital"]),
            "building": lambda: str(r.randint(1, 36)),
            "days": lambda: str(r.choice((2, 3, 5, 7, 10, 15, 20))),
            "n": lambda: str(r.randint(2, 6)),
            "month": lambda: str(r.randint(1, 12)),
            "hour": lambda: str(r.choice((17, 18, 19, 20))),
            "fee": lambda: f"{r.choice((1.2, 1.5, 1.8, 2.0))}",
            "fee2": lambda: f"{r.choice((2.5, 2.8, 3.0, 3.5))}",
            "amount": lambda: str(r.choice((500, 1200, 2800, 3600, 5000, 8000, 12000, 50000, 150000))),
            "bus": lambda: str(r.choice((1, 2, 5, 9, 18, 32, 68, 101, 146, 178, 518))),
        }
        return makers[key]() if key in makers else key

    def contact(self) -> str:
        name = (
            self.pick(names()["surname"])
            + self.pick(names()["given_name"])
            + (self.pick(names()["given_name"]) if self.rng.random() < 0.6 else "")
        )
        plate = (
            "苏" + self.pick(("E", "U", "B", "D")) + "".join(self.pick(tuple("0123456789ABCDEFGHJK")) for _ in range(5))
        )
        choices = (
            f"联系电话{self.phone()}。",
            f"我姓{name[0]}，电话{self.phone()}，请回电。",
            f"联系人{name}，手机{self.phone()}。",
            f"我的车牌号是{plate}。",
            f"座机0512-6{self.rng.randrange(1000000, 9999999)}。",
            f"身份证号3205{self.rng.randrange(10, 99)}19{self.rng.randrange(60, 99)}0{self.rng.randrange(1, 9)}1{self.rng.randrange(1, 9)}{self.rng.randrange(1000, 9999)}。",
        )
        return self.pick(choices)


def _topic_weights() -> tuple[list[float], list[float]]:
    """Scale COVID topics' weights and every consultation rate to Suzhou's 2022 shares."""
    base = topics()
    covid_w = sum(t.weight for t in base if t.covid)
    other_w = sum(t.weight for t in base if not t.covid)
    covid_scale = COVID_SHARE / (1 - COVID_SHARE) * other_w / covid_w
    weights = [t.weight * (covid_scale if t.covid else 1.0) for t in base]
    expected = sum(w * t.consult_rate for w, t in zip(weights, base, strict=True)) / sum(weights)
    rates = [min(0.95, t.consult_rate * CONSULTATION_SHARE / expected) for t in base]
    return weights, rates


def _ticket(w: _Writer, topic: Topic | Emerging, consult_rate: float) -> dict[str, object]:
    rng = w.rng
    words = wording()
    # The ticket's own place fills every {district} and {street} slot, so that text and labels agree.
    district, street = (topic.district, topic.street) if isinstance(topic, Emerging) else w.place()
    slots = {"district": district, "street": street}
    if isinstance(topic, Emerging):
        fact = w.fill(w.pick(topic.texts), slots)
        title = w.fill(w.pick(topic.titles), slots)
        ask = ""
    else:
        fact = w.fill(w.pick(topic.facts), slots)
        title = w.fill(w.pick(topic.titles), slots)
    department = topic.department
    if not isinstance(topic, Emerging) and not topic.covid and rng.random() < VAGUE_SHARE:
        vague = vague_wordings()
        fact, departments = vague[rng.randrange(len(vague))]
        title = fact[:8]
        department = w.pick(departments)
    consultation = rng.random() < consult_rate
    if not isinstance(topic, Emerging):
        if consultation:
            ask = w.pick(words["plain_consult"]) if rng.random() < 0.12 else w.fill(w.pick(topic.questions), slots)
        else:
            ask = w.pick(words["rhetorical"]) if rng.random() < 0.08 else w.fill(w.pick(topic.demands), slots)
    opener = w.fill(w.pick(words["opener"]), slots)
    detail = w.fill(w.pick(words["detail"]), slots) if not consultation else ""
    incidental = w.pick(words["incidental_covid"]) + "，" if (not topic.covid and rng.random() < 0.03) else ""
    parts = [opener + incidental + fact + "。", detail, ask]
    if rng.random() < 0.3:
        parts.append(w.contact())
    text = "".join(p for p in parts if p).replace("。。", "。").replace("？。", "？")
    if rng.random() < 0.3:
        prefixes = words["consult_prefix"] if consultation else words["complaint_prefix"]
        title = w.pick(prefixes) + title
    if rng.random() < DEPARTMENT_NOISE:
        department = w.pick(confusable()[department])
    if rng.random() < CONSULTATION_NOISE:
        consultation = not consultation
    covid = topic.covid != (rng.random() < COVID_NOISE)
    return {
        "district": district,
        "street": street,
        "title": title,
        "text": text,
        "consultation": int(consultation),
        "covid": int(covid),
        "department": department,
        "topic": topic.key,
    }


def _refile(w: _Writer, ticket: dict[str, object]) -> dict[str, object]:
    """The same demand filed again: same reporter and labels, slightly edited text."""
    again = dict(ticket)
    text = str(ticket["text"])
    again["text"] = w.pick(wording()["refile"]) + text
    return again


def _emerging_schedule(weeks: int) -> list[tuple[Emerging, int]]:
    """Emerging topics that fit in ``weeks``, with their start week scaled to the corpus length."""
    if weeks < 4:
        return []
    scheduled = []
    for topic in emerging_topics():
        start = topic.start_week if weeks >= 12 else max(2, round(topic.start_week * weeks / 12))
        if start < weeks:
            scheduled.append((topic, start))
    return scheduled


def surge_counts(profile: tuple[float, ...], per_week: float) -> list[int]:
    """Tickets an injected surge adds in each week of its ``profile`` (shares of a week of ``per_week`` tickets).

    The profile's share of the week, rounded, and at least the floor (:data:`SURGE_FLOOR`, at most
    :data:`SURGE_FLOOR_SHARE` of the week) from the first week up to the profile's peak; after the
    peak the surge fades by its shares alone. At a volume where the shares give more than the floor,
    the counts are the shares'.
    """
    floor = min(SURGE_FLOOR, int(SURGE_FLOOR_SHARE * per_week))
    peak = max(range(len(profile)), key=profile.__getitem__, default=-1)
    return [max(round(share * per_week), floor if k <= peak else 0) for k, share in enumerate(profile)]


def generate(
    n: int = 6000, weeks: int = 12, seed: int = 0, start: date = DEFAULT_START
) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """Generate ``n`` tickets over ``weeks`` weeks starting on the Monday ``start``.

    Returns
    -------
    tickets : DataFrame
        Columns ``id, created_at, district, street, channel, reporter, title, text,
        consultation, covid, department, topic, platform, unit, first_unit, place_given``,
        ordered by ``created_at``: ``department`` is the function group, ``platform`` and
        ``unit`` where the ticket is dispatched (:mod:`demo.units`).
    trends : list of dict
        The injected emerging topics, with their start week (ISO) and weekly counts.
    """
    if n < 50:
        raise ValueError(f"expected n >= 50 tickets, got {n}")
    if weeks < 1:
        raise ValueError(f"expected weeks >= 1, got {weeks}")
    rng = random.Random(seed)
    w = _Writer(rng)
    monday = start - timedelta(days=start.weekday())
    base, (weights, rates), shares = topics(), _topic_weights(), channels()
    schedule = _emerging_schedule(weeks)
    per_week = n / weeks
    extra: dict[tuple[str, int], int] = {}
    for topic, first in schedule:
        for k, count in enumerate(surge_counts(topic.profile, per_week)):
            if first + k < weeks:
                extra[(topic.key, first + k)] = count
    base_total = n - sum(extra.values())
    # Weekly base volume varies by +-10 %; counts add up to base_total exactly.
    raw = [rng.uniform(0.9, 1.1) for _ in range(weeks)]
    base_counts = [int(base_total * r / sum(raw)) for r in raw]
    base_counts[-1] += base_total - sum(base_counts)

    rows: list[dict[str, object]] = []
    reporters = [f"U{rng.randrange(10**7, 10**8)}" for _ in range(max(50, n // 3))]
    for week in range(weeks):
        plan: list[tuple[Topic | Emerging, float]] = [
            (base[i], rates[i]) for i in rng.choices(range(len(base)), weights=weights, k=base_counts[week])
        ]
        for emerging, _first in schedule:
            plan += [(emerging, 0.08)] * extra.get((emerging.key, week), 0)
        for source, rate in plan:
            ticket = _ticket(w, source, rate)
            day = monday + timedelta(days=7 * week + rng.randrange(7))
            moment = datetime(
                day.year, day.month, day.day, rng.choice(range(7, 23)), rng.randrange(60), rng.randrange(60)
            )
            ticket["created_at"] = moment
            ticket["channel"] = rng.choices(list(shares), weights=list(shares.values()))[0]
            ticket["reporter"] = w.pick(reporters)
            rows.append(ticket)
            if rng.random() < REFILED:
                again = _refile(w, ticket)
                again["created_at"] = moment + timedelta(hours=rng.randint(2, 60))
                rows.append(again)
    # Re-filed tickets push the count over n; drop the surplus at random (deterministically).
    while len(rows) > n:
        rows.pop(rng.randrange(len(rows)))
    frame = pd.DataFrame(rows).sort_values("created_at", kind="stable").reset_index(drop=True)
    frame.insert(0, "id", [f"SZ{t:%Y%m%d}{i:06d}" for i, t in enumerate(frame["created_at"], start=1)])
    columns = [
        "id",
        "created_at",
        "district",
        "street",
        "channel",
        "reporter",
        "title",
        "text",
        "consultation",
        "covid",
        "department",
        "topic",
    ]
    frame = dispatch(frame[columns], seed=seed)
    return frame, _trend_record(frame, schedule, monday, weeks)


def _trend_record(
    frame: pd.DataFrame, schedule: list[tuple[Emerging, int]], monday: date, weeks: int
) -> list[dict[str, object]]:
    week_index = ((frame["created_at"].dt.normalize() - pd.Timestamp(monday)).dt.days // 7).clip(upper=weeks - 1)
    record = []
    for topic, first in schedule:
        counts = week_index[frame["topic"] == topic.key].value_counts().reindex(range(weeks), fill_value=0)
        iso = [f"{y}-W{wk:02d}" for y, wk, _ in ((monday + timedelta(weeks=k)).isocalendar() for k in range(weeks))]
        peak = int(counts.to_numpy().argmax())
        info = {
            k: v
            for k, v in asdict(topic).items()
            if k in ("key", "label", "department", "covid", "district", "street", "place", "keywords")
        }
        info.update(
            start_week=iso[first],
            peak_week=iso[peak],
            weekly_counts=dict(zip(iso, counts.astype(int).tolist(), strict=True)),
        )
        record.append(info)
    return record


def write_corpus(
    out: str | Path, *, n: int, weeks: int, seed: int, start: date = DEFAULT_START
) -> tuple[Path, Path, pd.DataFrame]:
    """Generate the corpus and write it to ``out`` (format by extension) plus ``<out>.trends.json``."""
    frame, trends = generate(n=n, weeks=weeks, seed=seed, start=start)
    out = write_table(frame, out)
    side = out.with_name(out.name + ".trends.json")
    write_atomic(
        side, json.dumps({"seed": seed, "n": n, "weeks": weeks, "emerging": trends}, ensure_ascii=False, indent=2)
    )
    return out, side, frame
