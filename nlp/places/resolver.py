"""Find the places a ticket names and resolve them to Suzhou's divisions.

Matching
--------
Every form of every place (:mod:`nlp.places.gazetteer`) goes into one Aho-Corasick automaton
(ahocorasick-rs: on these 7,700 names it scans about 10 M characters/s, pyahocorasick 1 M,
since its root node looks its 1,500 first characters up one by one). A text's hits are then
filtered and chosen, longest first:

* a *bare* or *weak* form (a name without its suffix), and any name of two characters, is
  dropped when the next character is a place suffix (平江 in 平江路, 横塘 in 横塘路: part of
  another name; not 门 of 门口: 旺山门口), or when the previous character is a digit (26000元和保险) or an ideograph that
  is neither a function word (在, 住, 到 ...), a place suffix (区, 市, 镇 ...) nor the end of
  another place's name (吴中木渎 keeps 木渎; 城南环境 drops 南环; 镇江东村 drops 东村);
* a community's full name is dropped on the second of these grounds, the character before it
  (山湖社区 in 尹山湖社区, a community the gazetteer lacks; 学府社区门口 keeps it);
* the aliases 高新区, 新区, 工业园区 and 园区 are dropped when glued to a preceding name
  (常熟高新区, 相城工业园区), unless that name is 苏州;
* of overlapping hits the longest wins (苏州工业园区 over 园区, 学府社区 over 学府);
* a *weak* hit (a bare name that is a common word, such as 学府 or 太平, a community name of
  two characters without its suffix, the village 新农村) is kept only when the ticket backs it:
  a place of the same district within 30 characters, its street anywhere, or a cue next to it
  (住在学府, 学府附近, 学府那边; a street or town also by 在, 去 or 到 before it: 我在黄桥上班).

Ambiguity
---------
A name several places bear (香山, 独墅湖) keeps all its candidates unless another place of the
ticket (title and text together) decides: a district, street or landmark of one candidate's
district, or the street of a community candidate. Nothing is guessed: an undecided match has
no ``district`` and lists its ``candidates``.

The problem's place
-------------------
A match is a *residence* when the text between its clause's start and the match holds a
residence cue (我住在, 家住, 户籍, 居住 ..., or 我是 with no verb between: 我是太仓人), and an
*origin* when the last cue before it says where the caller comes from rather than lives (户籍,
户口, 老家, 我是); every other match is about the problem. The problem's place is, among the
non-residence matches (else the residences that are not origins, else all: a caller who names
only home is complaining about home), in this order: the first in a clause that names a
problem (施工, 噪音, 积水, 路口, 停水 ...), the first in the title, the first. Matches of the same
role in the same district refine it (the street of 吴中区郭巷街道).

``how_given`` says how precisely the ticket gave the problem's place, by the coarsest level
named among the places of its district (where the caller lives included): ``district`` (its
district is named), else ``street``, ``community`` or ``landmark``; ``two_places`` when places
of two districts are named, ``none`` when none.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, cached_property, lru_cache
from typing import Any, NamedTuple

import numpy as np

from nlp.places.gazetteer import GLUED_ALIASES, PLATFORMS, Form, Place, all_forms

__all__ = [
    "HOW_GIVEN",
    "NO_PLACE_KEY",
    "PlaceKey",
    "PlaceMatch",
    "PlaceResolver",
    "TicketPlaces",
    "default_resolver",
    "find_places",
    "place_key",
    "resolve_ticket",
    "resolver_for",
    "settle",
]

HOW_GIVEN = ("district", "street", "community", "landmark", "two_places", "none")

_STRENGTH = {"full": 2, "bare": 1, "weak": 0}
_LEVEL_RANK = {"district": 4, "street": 3, "landmark": 2, "community": 1}
_PRECISION = {"district": 0, "street": 1, "community": 2, "landmark": 3}
# A bare name followed by one of these is the start of another name (平江路, 横塘桥, 东山村).
_SUFFIX_CHARS_TEXT = "路街道巷弄桥河湖山塘浜港泾村镇区园苑城庄湾里坊门寺楼厦苑府邸墅亭阁"
_SUFFIX_CHARS = frozenset(_SUFFIX_CHARS_TEXT)
# Ideographs that may stand right before a place's name without being part of it.
_BEFORE_OK_TEXT = "在住是为于的了到对向从往去来回近和与及或跟同经过由至自离家我你他她们区市县镇乡村州道街边面壁"
_BEFORE_OK = frozenset(_BEFORE_OK_TEXT)
_HAN = re.compile("[\u3400-\u9fff]")
_CLAUSE = re.compile(r"[，。！？；,.!?;\n]")
# A cue anywhere in the clause before the place, or "我是" shortly before it with no verb between
# (我是太仓人, 我是吴中区郭巷街道的: who the caller is; 我是来反映吴中区..., 我是想问太仓... are not).
_RESIDENCE = re.compile(
    r"(?:住在|家住|我住|本人住|居住|户籍|户口|老家|我家在|家在|住址)[^，。！？；,.!?;\n]*$"
    r"|(?:我|本人)是(?![^，。！？；,.!?;\n]*(?:来|想|要|去|在|问|反映|咨询|投诉|举报))[^，。！？；,.!?;\n]{0,12}$"
)
_RESIDENCE_REACH = 24  # characters before a place searched for a residence cue of its clause
# The cues one by one, to tell the last before a place: where the caller comes from (户籍 ...)
# counts less than where the caller lives (我户口在吴江区，现在住在狮山街道: 狮山).
_CUE = re.compile(r"住在|家住|我住|本人住|居住|户籍|户口|老家|我家在|家在|住址|我是|本人是")
_ORIGIN_CUES = frozenset(("户籍", "户口", "老家", "我是", "本人是"))
_PROBLEM = re.compile(
    r"施工|噪音|噪声|扰民|路口|积水|停水|停电|漏水|占道|违建|违章|垃圾|路灯|堵塞|拥堵|臭|污染|破损|损坏|坏了|乱|投诉|举报|"
    r"无人管|不通|断|塌|渗水|油烟|排放|工地|安全隐患"
)
_WEAK_BEFORE = ("住在", "家住", "位于", "地处", "搬到", "来到", "我住")
_WEAK_STREET_BEFORE = ("在", "去", "到")
_WEAK_AFTER = ("这边", "那边", "附近", "一带", "周边", "片区", "地区", "那里", "这里", "这块", "境内", "辖区")
# PlaceResolver.problem_keys scans at most this many texts at once: the automaton found the hits
# of a thousand 400-character messages joined a third faster than of ten thousand.
BULK_TEXTS = 1_000
_NEAR = 30  # characters: a place this close backs a weak name of its district (高新区横塘街道学府)


@dataclass(frozen=True)
class PlaceMatch:
    """One place named in a text.

    Attributes
    ----------
    text : str
        The name as written (横塘).
    start, end : int
        Its span in the field it was found in.
    candidates : tuple of Place
        The places it may be (one when resolved; several when the name is ambiguous).
    field : str
        ``title`` or ``text`` (:func:`resolve_ticket`), ``text`` for :meth:`PlaceResolver.find`.
    strength : str
        ``full``, ``bare`` or ``weak``: how the name was written (see :mod:`nlp.places.gazetteer`).
    residence : bool
        True when a residence cue (我住在, 家住 ...) precedes it in its clause.
    origin : bool
        True when that cue says where the caller comes from rather than lives (户籍, 户口, 老家,
        我是 ...: the last cue before the name decides).
    districts : tuple of str
        The candidates' districts, in platform order.
    district : str
        The district when the candidates agree on one, else "".
    name : str
        The canonical name when the candidates agree on one, else the name as written.
    level : str
        The most precise level among the candidates (a landmark counts as most precise).
    street : str
        The street or town, when the candidates agree on one ("" otherwise).
    source : str
        ``gazetteer``, ``landmark`` or ``custom`` (of the first candidate).
    """

    text: str
    start: int
    end: int
    candidates: tuple[Place, ...]
    field: str = "text"
    strength: str = "full"
    residence: bool = False
    origin: bool = False

    # Read for every match of every ticket: computed once, when the match is made (plain
    # attributes: a cached_property takes a lock on first read, which cost more than the value).
    districts: tuple[str, ...] = dataclasses.field(init=False, repr=False, compare=False)
    district: str = dataclasses.field(init=False, repr=False, compare=False)
    name: str = dataclasses.field(init=False, repr=False, compare=False)
    level: str = dataclasses.field(init=False, repr=False, compare=False)
    street: str = dataclasses.field(init=False, repr=False, compare=False)
    source: str = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Attributes set one by one (frozen): most matches have one candidate, and a dict of the
        # values looped over cost as much as the values.
        candidates, set_ = self.candidates, object.__setattr__
        if len(candidates) == 1:
            only = candidates[0]
            set_(self, "districts", (only.district,))
            set_(self, "district", only.district)
            set_(self, "name", only.name or self.text)
            set_(self, "level", only.level)
            set_(self, "street", only.name if only.level == "street" else only.street)
            set_(self, "source", only.source)
            return
        found = {p.district for p in candidates}
        districts = tuple(d for d in PLATFORMS if d in found)
        set_(self, "districts", districts)
        set_(self, "district", districts[0] if len(districts) == 1 else "")
        # The canonical name when the candidates agree on one, else the name as written.
        set_(self, "name", _agreed(p.name for p in candidates) or self.text)
        # The most precise level among the candidates (a landmark counts as most precise).
        set_(self, "level", max((p.level for p in candidates), key=_PRECISION.__getitem__))
        # The street or town, when the candidates agree on one ("" otherwise).
        set_(self, "street", _agreed(p.name if p.level == "street" else p.street for p in candidates))
        set_(self, "source", candidates[0].source)  # gazetteer, landmark or custom (of the first candidate)

    @property
    def ambiguous(self) -> bool:
        """True when the candidates lie in more than one district."""
        return len(self.districts) > 1


def _agreed(values: Iterable[str]) -> str:
    """The value when all ``values`` are one, else "" (stops at the first disagreement: an
    ambiguous bare name can have hundreds of candidates)."""
    iterator = iter(values)
    first = next(iterator, "")
    return first if all(value == first for value in iterator) else ""


@dataclass(frozen=True)
class TicketPlaces:
    """The places of one ticket and the problem's place among them.

    ``district`` is "" when no place is named or the problem's place is ambiguous (then
    ``districts`` lists its candidates). ``street``, ``community`` and ``landmark`` are
    canonical names or "". ``how_given``: one of :data:`HOW_GIVEN` (module docstring).
    """

    district: str = ""
    districts: tuple[str, ...] = ()
    street: str = ""
    community: str = ""
    landmark: str = ""
    how_given: str = "none"
    problem: PlaceMatch | None = None
    matches: tuple[PlaceMatch, ...] = field(default_factory=tuple)


class PlaceKey(NamedTuple):
    """What the routing features read of a ticket's places: the problem's place's districts
    (several when it is ambiguous, none when no place is named) and its canonical names."""

    districts: tuple[str, ...]
    street: str
    community: str
    landmark: str


NO_PLACE_KEY = PlaceKey((), "", "", "")


def place_key(places: TicketPlaces) -> PlaceKey:
    """The :class:`PlaceKey` of a ticket's places."""
    return PlaceKey(places.districts, places.street, places.community, places.landmark)


class PlaceResolver:
    """A matcher over the shipped gazetteer and landmarks, plus ``custom`` places.

    Build it with :func:`default_resolver` (cached) or, for an operator's list,
    ``PlaceResolver(load_custom_places(path))``. Building takes a fraction of a second.
    """

    def __init__(self, custom: Iterable[Place] = ()) -> None:
        import ahocorasick_rs  # imported on first build: nothing happens at import of nlp.places

        grouped: dict[str, list[Form]] = {}
        for form in all_forms(custom):
            if "\n" not in form.text:  # a name never spans lines (problem_keys joins texts by line breaks)
                grouped.setdefault(form.text, []).append(form)
        # Per string: its strength, its places, which boundary rule its hits go through
        # (_RULE_*), and the attributes a match of it derives from its places (the same for
        # every match).
        self._readings: list[tuple[str, tuple[Place, ...], int, dict[str, Any]]] = []
        for text, forms in grouped.items():
            # Of a string's readings keep the strongest, then the coarsest level (a division
            # before a landmark): 横塘 is the street 横塘街道 (bare) before the communities
            # 横塘社区 and 横塘村 (weak); 甪直 is the town 甪直镇 before the landmark 甪直古镇.
            best = max(_STRENGTH[f.strength] for f in forms)
            forms = [f for f in forms if _STRENGTH[f.strength] == best]
            rank = max(_LEVEL_RANK[f.place.level] for f in forms)
            places = tuple(dict.fromkeys(f.place for f in forms if _LEVEL_RANK[f.place.level] == rank))
            strength = forms[0].strength
            self._readings.append((strength, places, _rule(text, strength, places), _derived(text, places)))
        self._texts = list(grouped)  # the automaton's strings, in the order of its pattern ids
        self._automaton: Any = ahocorasick_rs.AhoCorasick(self._texts, matchkind=ahocorasick_rs.MatchKind.Standard)

    def find(self, text: str, *, field: str = "text") -> list[PlaceMatch]:
        """The places named in ``text``, in order, backed and disambiguated within ``text`` alone."""
        return settle(self.scan(text, field=field))

    def problem_keys(self, texts: Sequence[str]) -> list[PlaceKey]:
        """``place_key(resolve_ticket("", text))`` of every text, in bulk (the same keys: tested).

        The routing features of a batch need only the problem's place of each ticket. One
        automaton call scans the batch, and the boundary rules and the longest-first choice
        run on arrays of hits. A text whose chosen places are all sure, of one district and
        with no residence cue before them (most tickets) gets its key from them directly: there
        the rules of :func:`resolve_ticket` come to its first street, community and landmark,
        whichever place names the problem. The others go through the rules of
        :func:`resolve_ticket` on the places chosen here, or, where names cross (通安镇湖街道),
        through the whole of it.
        """
        if len(texts) > BULK_TEXTS:  # chunk by chunk
            return [
                key for at in range(0, len(texts), BULK_TEXTS) for key in self.problem_keys(texts[at : at + BULK_TEXTS])
            ]
        keys: list[PlaceKey] = [NO_PLACE_KEY] * len(texts)
        joined = "\n".join(texts)  # no name holds a line break, so no hit spans two texts
        found = self._automaton.find_matches_as_indexes(joined, overlapping=True) if texts else []
        if not found:
            return keys
        table = self._hit_table
        pattern, start, end = np.array(found, dtype=np.int64).T
        keep = _bounded_hits(joined, pattern, start, end, table)
        if not keep.any():
            return keys
        offsets = np.cumsum([len(t) + 1 for t in texts])  # where each text ends, its line break included
        chosen = _chosen_in_bulk(pattern[keep], start[keep], end[keep], offsets)
        several = np.bincount(chosen.owner, minlength=len(texts)) > 1
        ruled, residences = _needing_rules(chosen, several, joined, table)
        bounds = [*chosen.first.tolist(), len(chosen.owner)]
        patterns, starts, ends = chosen.pattern.tolist(), chosen.start.tolist(), chosen.end.tolist()
        for k, text_index in enumerate(chosen.owner[chosen.first].tolist()):
            hits = slice(bounds[k], bounds[k + 1])
            if chosen.crossing[text_index]:
                keys[text_index] = place_key(resolve_ticket("", texts[text_index], resolver=self))
            elif ruled[text_index]:  # the rules, on the places chosen here
                base = int(offsets[text_index - 1]) if text_index else 0
                matches = [
                    self._match_at(joined, patterns[h], starts[h], ends[h], base, residences.get(h))
                    for h in range(bounds[k], bounds[k + 1])
                ]
                keys[text_index] = place_key(_resolved(matches, "", texts[text_index]))
            elif not several[text_index]:
                keys[text_index] = table.keys[patterns[bounds[k]]]
            else:
                keys[text_index] = _first_names([table.keys[p] for p in patterns[hits]])
        return keys

    def _match_at(
        self, joined: str, string: int, start: int, end: int, base: int, residence: tuple[bool, bool] | None
    ) -> PlaceMatch:
        """The match :meth:`scan` makes of a hit of ``string`` in a body that starts at ``base`` of
        ``joined``; ``residence`` is :func:`_residence` of it when already known."""
        strength, places, _, derived = self._readings[string]
        if residence is None:  # the residence cue's search stops at a line break: it never reads the text before
            residence = _residence(joined, start)
        return _match(joined[start:end], start - base, end - base, places, "text", strength, residence, derived)

    @cached_property
    def _hit_table(self) -> _HitTable:
        return _HitTable.of(self._texts, self._readings)

    def scan(self, text: str, *, field: str = "text", title_end: int = -1) -> list[PlaceMatch]:
        """Hits of ``text`` after the boundary rules and longest-first choice (weak hits unchecked).

        With ``title_end``, ``text`` is a title, one separator and a body, scanned at once: hits
        before ``title_end`` are the title's, the others the body's (``field="text"``, spans
        counted from the body's start).
        """
        if not text:
            return []
        found = self._automaton.find_matches_as_indexes(text, overlapping=True)
        if not found:
            return []
        readings = self._readings
        hits = found  # (string, start, end): read where needed, not copied per hit
        if any(readings[i][2] for i, _, _ in found):  # most full names need no look at their neighbours
            sure_ends = {end for i, _, end in found if readings[i][0] != "weak"}
            hits = [
                (i, start, end)
                for i, start, end in found
                if not readings[i][2] or _bounded(text, start, end, readings[i][2], sure_ends)
            ]
        if len(hits) > 1:
            hits.sort(key=_longest_first)
        spans: list[tuple[int, int]] = []  # a ticket keeps a few places: a list beats a bitmap of the text
        chosen = []
        shift = title_end + 1 if title_end >= 0 else 0
        for i, start, end in hits:
            if any(start < taken_end and taken_start < end for taken_start, taken_end in spans):
                continue
            spans.append((start, end))
            strength, places, _, derived = readings[i]
            in_title = start < title_end
            chosen.append(
                _match(
                    text[start:end],
                    start if in_title else start - shift,
                    end if in_title else end - shift,
                    places,
                    "title" if in_title else field,
                    strength,
                    _residence(text, start),
                    derived,
                )
            )
        if len(chosen) > 1:
            chosen.sort(key=lambda m: m.start)
        return chosen


# The attributes PlaceMatch computes from its candidates (its fields not passed to __init__).
_DERIVED = tuple(f.name for f in dataclasses.fields(PlaceMatch) if not f.init)


def _derived(text: str, places: tuple[Place, ...]) -> dict[str, Any]:
    """The attributes :class:`PlaceMatch` derives from its candidates, for a match of ``text``."""
    probe = PlaceMatch(text, 0, len(text), places)
    return {name: getattr(probe, name) for name in _DERIVED}


def _match(
    text: str,
    start: int,
    end: int,
    places: tuple[Place, ...],
    field: str,
    strength: str,
    residence: tuple[bool, bool],
    derived: dict[str, Any],
) -> PlaceMatch:
    """``PlaceMatch(text, start, end, places, field, strength, *residence)`` with its derived
    attributes given (:func:`_derived` of the same text and places).

    A ticket's matches are made for every ticket of a batch: the frozen dataclass's
    ``__init__`` and ``__post_init__`` set each attribute through ``object.__setattr__`` and
    cost about as much as the rest of the scan. The instance is the same (tested).
    """
    match = object.__new__(PlaceMatch)
    vars(match).update(
        derived,
        text=text,
        start=start,
        end=end,
        candidates=places,
        field=field,
        strength=strength,
        residence=residence[0],
        origin=residence[1],
    )
    return match


def _longest_first(hit: tuple[int, int, int]) -> tuple[int, int]:
    return hit[1] - hit[2], hit[1]  # longest first, then leftmost


def _is_gate(text: str, at: int) -> bool:
    """门口 ("the gate of") at ``at``: 门 there ends no other name (旺山门口, 虞山门口)."""
    return text.startswith("门口", at)


def _rule(text: str, strength: str, places: tuple[Place, ...]) -> int:
    """Which boundary rule of :func:`_bounded` the hits of the automaton's string ``text`` go through."""
    if strength != "full" or len(text) <= 2:
        # 门口 after a community's bare name is the gate of an estate of that name, anywhere
        # (阳光苑门口): only a street's or landmark's is taken (旺山门口).
        return _RULE_SHORT_COMMUNITY if places[0].level == "community" else _RULE_SHORT
    if places[0].level == "community":  # 山湖社区 in 尹山湖社区 (a community the gazetteer lacks)
        return _RULE_COMMUNITY
    return _RULE_GLUED if text in GLUED_ALIASES else _RULE_NONE


def _bounded(text: str, start: int, end: int, rule: int, sure_ends: set[int]) -> bool:
    """The boundary rules of the module docstring, ``rule`` the string's (:func:`_rule`)."""
    if rule in (_RULE_SHORT, _RULE_SHORT_COMMUNITY, _RULE_COMMUNITY):
        suffixed = rule != _RULE_COMMUNITY and end < len(text) and text[end] in _SUFFIX_CHARS
        if suffixed and (rule == _RULE_SHORT_COMMUNITY or not _is_gate(text, end)):
            return False
        before = text[start - 1] if start else ""
        if before.isdigit():  # 26000元和保险 is money, not 元和
            return False
        return not (before and _HAN.match(before) and before not in _BEFORE_OK and start not in sure_ends)
    if rule == _RULE_GLUED and start:
        before = text[start - 1]
        return not (_HAN.match(before) and before not in _BEFORE_OK) or text[max(0, start - 3) : start].endswith(
            ("苏州", "苏州市")
        )
    return True


# Which boundary rule of _bounded a string's hits go through: none, the rules of a short name
# (the characters after and before it), of a glued alias, of a full community name (the
# character before it only: 学府社区门口 is fine), of a community's short name (a short
# name's, 门口 included among the suffixes).
_RULE_NONE, _RULE_SHORT, _RULE_GLUED, _RULE_COMMUNITY, _RULE_SHORT_COMMUNITY = 0, 1, 2, 3, 4


@dataclass(frozen=True)
class _HitTable:
    """Per automaton string, what :meth:`PlaceResolver.problem_keys` reads of its hits."""

    rule: np.ndarray  # _RULE_* of each string
    weak: np.ndarray  # bool: a weak reading
    sure: np.ndarray  # bool: neither weak nor ambiguous (a lone hit of it is the ticket's place)
    district: np.ndarray  # an id of the string's districts (equal ids, equal districts)
    keys: list[PlaceKey]  # the key of a ticket whose one place is a hit of the string

    @classmethod
    def of(cls, texts: list[str], readings: list[tuple[str, tuple[Place, ...], int, dict[str, Any]]]) -> _HitTable:
        rule = np.zeros(len(texts), dtype=np.int8)
        weak = np.zeros(len(texts), dtype=bool)
        sure = np.zeros(len(texts), dtype=bool)
        district = np.zeros(len(texts), dtype=np.int64)
        ids: dict[tuple[str, ...], int] = {}
        keys = []
        for k, (text, (strength, places, string_rule, derived)) in enumerate(zip(texts, readings, strict=True)):
            rule[k] = string_rule
            weak[k] = strength == "weak"
            sure[k] = strength != "weak" and len(derived["districts"]) <= 1
            district[k] = ids.setdefault(derived["districts"], len(ids))
            # What resolve_ticket gives a ticket whose one place is a hit of the string.
            keys.append(
                place_key(_alone(_match(text, 0, len(text), places, "text", strength, (False, False), derived)))
            )
        return cls(rule, weak, sure, district, keys)


@cache
def _code_points(chars: str) -> np.ndarray:
    return np.array(sorted(map(ord, chars)), dtype=np.uint32)


def _code_points_of(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def _first_names(keys: list[PlaceKey]) -> PlaceKey:
    """The key of places of one district, in text order: its first street, community and landmark."""
    return PlaceKey(
        keys[0].districts,
        next((k.street for k in keys if k.street), ""),
        next((k.community for k in keys if k.community), ""),
        next((k.landmark for k in keys if k.landmark), ""),
    )


class _Chosen(NamedTuple):
    """The hits the longest-first choice keeps, by text and start (:func:`_chosen_in_bulk`)."""

    pattern: np.ndarray
    start: np.ndarray
    end: np.ndarray
    owner: np.ndarray  # the text of each hit
    first: np.ndarray  # where each text's hits begin
    crossing: np.ndarray  # per text: two of its hits cross (the choice is then resolve_ticket's own)


def _chosen_in_bulk(pattern: np.ndarray, start: np.ndarray, end: np.ndarray, offsets: np.ndarray) -> _Chosen:
    """The longest-first choice of :meth:`PlaceResolver.scan` on the hits of texts joined by line breaks.

    By start, the longest first: a hit inside an earlier one is never chosen (the longer one is
    chosen first), and where every overlap is such a nesting the choice is the rest.
    """
    order = np.lexsort((-end, start))
    pattern, start, end = pattern[order], start[order], end[order]
    reach = np.maximum.accumulate(end)  # hits of different texts never overlap: one running max
    before = np.concatenate(([-1], reach[:-1]))
    nested = before >= end
    owner = np.searchsorted(offsets, start, side="right")
    crossing = np.zeros(len(offsets), dtype=bool)
    crossing[owner[(start < before) & ~nested]] = True
    owner = owner[~nested]
    first = np.flatnonzero(np.concatenate(([True], owner[1:] != owner[:-1])))
    return _Chosen(pattern[~nested], start[~nested], end[~nested], owner, first, crossing)


def _needing_rules(
    chosen: _Chosen, several: np.ndarray, joined: str, table: _HitTable
) -> tuple[np.ndarray, dict[int, tuple[bool, bool]]]:
    """Per text, whether its chosen places need the rules of :func:`resolve_ticket`: a weak or
    ambiguous place, places of two districts, or several places of which some, not all, are
    where the caller lives or comes from (when all are, and all of one kind, the rules give what
    they give with none: 我是吴中区郭巷街道的居民).

    Also returns :func:`_residence` of the hits it looked at, by their index in ``chosen``.
    """
    ruled = chosen.crossing.copy()
    ruled[chosen.owner[~table.sure[chosen.pattern]]] = True
    district = table.district[chosen.pattern]
    spread = np.maximum.reduceat(district, chosen.first) != np.minimum.reduceat(district, chosen.first)
    ruled[chosen.owner[chosen.first][spread]] = True
    # The residence cue's search stops at a line break: it never reads the text before.
    hits = np.flatnonzero(several[chosen.owner]).tolist()
    residences = {k: _residence(joined, int(chosen.start[k])) for k in hits}
    kinds = np.array(list(residences.values()), dtype=np.int8).reshape(-1, 2)
    role = kinds[:, 0] + kinds[:, 1]  # 0 about the problem, 1 where the caller lives, 2 comes from
    owners = chosen.owner[hits]
    highest, lowest = np.full(len(ruled), -1, dtype=np.int8), np.full(len(ruled), 3, dtype=np.int8)
    np.maximum.at(highest, owners, role)
    np.minimum.at(lowest, owners, role)
    return ruled | ((highest >= 0) & (highest != lowest)), residences


def _bounded_hits(joined: str, pattern: np.ndarray, start: np.ndarray, end: np.ndarray, table: _HitTable) -> np.ndarray:
    """:func:`_bounded` of every hit of ``joined`` (texts joined by line breaks), as a mask.

    A hit at a text's start sees the line break before it, which the rules treat as they
    treat the start of a text (neither a digit, an ideograph nor a suffix).
    """
    keep = np.ones(len(pattern), dtype=bool)
    rule = table.rule[pattern]
    short = np.flatnonzero((rule == _RULE_SHORT) | (rule == _RULE_SHORT_COMMUNITY) | (rule == _RULE_COMMUNITY))
    if len(short):
        points = _code_points_of(joined)
        after_end = end[short] >= len(points)
        after = points[np.minimum(end[short], len(points) - 1)]
        before = points[np.maximum(start[short] - 1, 0)]
        before[start[short] == 0] = ord("\n")
        distinct, inverse = np.unique(before, return_inverse=True)
        digit = np.array([chr(c).isdigit() for c in distinct.tolist()], dtype=bool)[inverse]
        han = (before >= 0x3400) & (before <= 0x9FFF)
        sure_ends = end[~table.weak[pattern]]
        gate = (after == ord("门")) & (points[np.minimum(end[short] + 1, len(points) - 1)] == ord("口"))
        gate &= rule[short] == _RULE_SHORT
        suffixed = ~after_end & np.isin(after, _code_points(_SUFFIX_CHARS_TEXT)) & ~gate
        drop = (suffixed & (rule[short] != _RULE_COMMUNITY)) | digit
        drop |= han & ~np.isin(before, _code_points(_BEFORE_OK_TEXT)) & ~np.isin(start[short], sure_ends)
        keep[short[drop]] = False
    for k in np.flatnonzero(rule == _RULE_GLUED).tolist():  # a few aliases (园区, 新区): the rule itself
        keep[k] = _bounded(joined, int(start[k]), int(end[k]), _RULE_GLUED, set())
    return keep


def _residence(text: str, start: int) -> tuple[bool, bool]:
    """Whether the place at ``start`` is where the caller lives or comes from, and whether the
    latter (:attr:`PlaceMatch.residence`, :attr:`PlaceMatch.origin`)."""
    if not _is_residence(text, start):
        return False, False
    reach = max(0, start - _RESIDENCE_REACH)  # as _is_residence: its cue is in there, and the last
    cues = [m.group() for m in _CUE.finditer(text, reach, start)]
    return True, bool(cues) and cues[-1] in _ORIGIN_CUES


def _is_residence(text: str, start: int) -> bool:
    """A residence cue in the clause before ``start`` (within a short reach: cues stand close)."""
    reach = max(0, start - _RESIDENCE_REACH)
    before = text[reach:start]
    # Every cue holds 住, 户, 家 or 是: most places have none of them before them, and these
    # lookups cost less than the search.
    if (
        "住" not in before
        and "家" not in before
        and "户" not in before
        and "我是" not in before
        and "本人是" not in before
    ):
        return False
    return _RESIDENCE.search(text, reach, start) is not None


def _backed_by_cue(match: PlaceMatch, text: str) -> bool:
    before = text[: match.start]
    if before.endswith(_WEAK_BEFORE) or text[match.end :].startswith(_WEAK_AFTER):
        return True
    # 在 alone backs a street or town (我在黄桥上班), not a community: 在建设, 在人民 are words.
    return match.level == "street" and before.endswith(_WEAK_STREET_BEFORE)


def settle(matches: Sequence[PlaceMatch], texts: dict[str, str] | None = None) -> list[PlaceMatch]:
    """Keep the backed weak matches and narrow ambiguous ones by the other matches (module docstring).

    A weak match is backed by a cue next to it (``texts`` maps each match's field to its
    text; without it only places back), by a sure place of one of its candidates' districts
    within 30 characters, or by a sure place anywhere in one of its candidates' streets.
    """
    sure = [m for m in matches if m.strength != "weak" and not m.ambiguous]
    if len(sure) == len(matches):  # most tickets: nothing to back or narrow
        return sure
    context = {m.district for m in sure}
    streets = {m.street for m in sure if m.street}
    out = []
    for m in matches:
        if m.strength == "weak":
            near = {b.district for b in sure if b.field == m.field and _distance(b, m) <= _NEAR}
            backed = [p for p in m.candidates if p.district in near or (p.street or p.name) in streets]
            if backed:
                m = replace(m, candidates=tuple(backed))
            elif not (texts is not None and _backed_by_cue(m, texts.get(m.field, ""))):
                continue
        if m.ambiguous:
            narrowed = [p for p in m.candidates if p.district in context] or [
                p for p in m.candidates if p.street and p.street in streets
            ]
            if narrowed:
                m = replace(m, candidates=tuple(narrowed))
        out.append(m)
    return out


def _distance(a: PlaceMatch, b: PlaceMatch) -> int:
    return max(a.start - b.end, b.start - a.end, 0)


@cache
def default_resolver() -> PlaceResolver:
    """The resolver over the shipped gazetteer and landmarks (built once per process)."""
    return PlaceResolver()


@lru_cache(maxsize=8)
def _custom_resolver(custom: tuple[Place, ...]) -> PlaceResolver:
    return PlaceResolver(custom)


def resolver_for(custom: Sequence[Place] = ()) -> PlaceResolver:
    """The resolver with ``custom`` places (cached per list, so that a transformer's copies share it)."""
    return _custom_resolver(tuple(custom)) if custom else default_resolver()


def find_places(text: str, *, resolver: PlaceResolver | None = None) -> list[PlaceMatch]:
    """The places named in ``text`` (weak names backed by cues or other places, ambiguities narrowed)."""
    resolver = resolver or default_resolver()
    return settle(resolver.scan(text), {"text": text})


def resolve_ticket(title: str, text: str, *, resolver: PlaceResolver | None = None) -> TicketPlaces:
    """The places of a ticket and the problem's place among them (module docstring)."""
    resolver = resolver or default_resolver()
    title, text = title or "", text or ""
    raw = resolver.scan(f"{title}\n{text}", title_end=len(title))  # one scan: a call costs more than a title
    return _resolved(raw, title, text)


def _resolved(raw: Sequence[PlaceMatch], title: str, text: str) -> TicketPlaces:
    """:func:`resolve_ticket` of a ticket whose scan gave ``raw``."""
    if not raw:
        return _NO_PLACE
    matches = tuple(settle(raw, {"title": title, "text": text}))
    if not matches:
        return _NO_PLACE
    if len(matches) == 1:  # most tickets: what the rules below give for one match, directly
        return _alone(matches[0])
    anchor = _anchor(matches, text)
    role = (anchor.residence, anchor.origin)
    group = [m for m in matches if (m.residence, m.origin) == role and set(m.districts) & set(anchor.districts)]
    districts = anchor.districts
    if len(districts) > 1:  # another match of the group may decide (阳澄湖 ... 唯亭)
        decided = {m.district for m in group if m.district}
        districts = tuple(d for d in districts if d in decided) or districts
    named = {m.district for m in matches if m.district}
    district = districts[0] if len(districts) == 1 else ""
    # How precisely it was given counts every match of its district, where the caller lives too.
    levels = {m.level for m in matches if district and m.district == district} | {anchor.level}
    how = "two_places" if len(named) > 1 else min(levels, key=_PRECISION.__getitem__)
    in_district = [m for m in group if not district or m.district == district]
    return TicketPlaces(
        district=district,
        districts=districts,
        street=next((m.street for m in in_district if m.street), ""),
        community=next((m.name for m in in_district if m.level == "community"), ""),
        landmark=next((m.name for m in in_district if m.level == "landmark"), ""),
        how_given=how,
        problem=anchor,
        matches=matches,
    )


_NO_PLACE = TicketPlaces()


def _alone(only: PlaceMatch) -> TicketPlaces:
    """The places of a ticket whose one place is ``only``."""
    return TicketPlaces(
        district=only.district,
        districts=only.districts,
        street=only.street,
        community=only.name if only.level == "community" else "",
        landmark=only.name if only.level == "landmark" else "",
        how_given=only.level,
        problem=only,
        matches=(only,),
    )


def _anchor(matches: Sequence[PlaceMatch], text: str) -> PlaceMatch:
    """The match that names the problem's place (module docstring)."""
    if len(matches) == 1:
        return matches[0]
    # Where the caller lives counts only against another place, and where the caller comes
    # from against both: a caller who names only home is complaining about home, chosen among
    # its places as any other ticket's.
    away = [m for m in matches if not m.residence] or [m for m in matches if not m.origin] or list(matches)
    for m in away:
        if m.field == "text" and _PROBLEM.search(_clause(text, m.start)):
            return m
    return next((m for m in away if m.field == "title"), None) or away[0]


def _clause(text: str, at: int) -> str:
    start = max((m.end() for m in _CLAUSE.finditer(text, 0, at)), default=0)
    end = _CLAUSE.search(text, at)
    return text[start : end.start() if end else len(text)]
