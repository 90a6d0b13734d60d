"""Suzhou's divisions and landmarks as places, and the names people write them by.

The divisions are the national statistics divisions of Suzhou (code prefix 3205) shipped in
``nlp/gazetteer/`` (``areas.csv``, ``streets.csv``, ``villages.csv``: see its ``SOURCE.md``);
the landmarks are ``nlp/gazetteer/landmarks.csv``. Nothing is read at import: :func:`builtin_places`
reads the files once, on first use.

Every place is written in several *forms*. A form is ``full`` (the official name, the name with
its suffix, a declared alias: always matched), ``bare`` (the name without its suffix, 横塘 for
横塘街道: matched unless followed by a place suffix such as 路 or 桥, which makes it part of
another name) or ``weak`` (a bare name that is a common word, such as 学府 or 太平, or a
short community name that several places share: matched only when something in the ticket
backs it, see :mod:`nlp.places.resolver`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from nlp.errors import InputError

__all__ = [
    "DISTRICT_ALIASES",
    "LANDMARK_COLUMNS",
    "LEVELS",
    "PLATFORMS",
    "Form",
    "Place",
    "builtin_places",
    "division_forms",
    "landmark_forms",
    "load_custom_places",
    "parse_places_csv",
]

# The 10 lower platforms of Suzhou's 12345, named as the gazetteer names them (areas.csv).
PLATFORMS = (
    "姑苏区",
    "虎丘区",
    "吴中区",
    "相城区",
    "吴江区",
    "苏州工业园区",
    "常熟市",
    "张家港市",
    "昆山市",
    "太仓市",
)
LEVELS = ("district", "street", "community", "landmark")
LANDMARK_COLUMNS = ("name", "kind", "district", "street", "aliases")

# What people call the districts besides their official names. 虎丘区 is not shortened to
# 虎丘: that is the scenic spot and the street 虎丘街道, both in 姑苏区. 平江区, 沧浪区 and
# 金阊区 merged into 姑苏区 in 2012; 吴江市 became 吴江区 the same year.
DISTRICT_ALIASES: dict[str, tuple[str, ...]] = {
    "姑苏区": ("姑苏", "平江区", "沧浪区", "金阊区"),
    "虎丘区": ("高新区", "苏州高新区", "苏州新区", "新区", "苏州高新技术产业开发区"),
    "吴中区": ("吴中",),
    "相城区": ("相城",),
    "吴江区": ("吴江", "吴江市"),
    "苏州工业园区": ("工业园区", "园区", "苏州园区"),
    "常熟市": ("常熟",),
    "张家港市": ("张家港",),
    "昆山市": ("昆山",),
    "太仓市": ("太仓",),
}
# Aliases that are generic words elsewhere (常熟高新区, 某某工业园区, 城东新区): matched only
# at the start of a name, not glued to a preceding name (see the resolver's left-boundary rule).
GLUED_ALIASES = frozenset({"高新区", "新区", "工业园区", "园区"})
# Aliases too generic to stand alone even at a boundary: they need backing (weak).
WEAK_ALIASES = frozenset({"新区", "园区"})

# Street names of the source that name no place on their own (吴中区's 开发区, 太仓市's
# 经济开发区): matched only after their district's name (吴中开发区, 太仓市经济开发区).
_GENERIC_STREETS = frozenset({"开发区", "经济开发区"})
# Bare names never derived: a lake or a word shared by several districts (阳澄湖镇 is one
# town by 阳澄湖, which four districts border; 太湖街道 is one street by 太湖).
_NO_BARE = frozenset({"阳澄湖", "太湖", "科技城", "高铁新城", "开发区"})
# Stems with these parts are institutions (产业园, 保税区, 林场), not names people use bare.
_GENERIC_PARTS = ("开发区", "产业园", "园区", "保税区", "度假区", "科技园", "工业园", "农场", "林场", "原种场", "开发")
_STREET_SUFFIX = re.compile(r"(街道|镇|乡)$")
_COMMUNITY = re.compile(r"^(?P<stem>.+?)(?:社区)?(?:居委会|居民委员会|居民委会)$")
_VILLAGE = re.compile(r"^(?P<stem>.+?)村?(?:村委会|村民委员会)$")
_VIRTUAL = re.compile(r"虚拟|类似社区")  # statistical placeholders, no place anyone names
_PAREN = re.compile(r"^(?P<head>[^（(]+)[（(](?P<inner>[^）)]+)[）)]$")  # 科技城（东渚街道）


@dataclass(frozen=True)
class Place:
    """One place a ticket can name.

    Attributes
    ----------
    name : str
        The canonical name (横塘街道, 学府社区, 拙政园).
    level : {"district", "street", "community", "landmark"}
    district : str
        One of :data:`PLATFORMS`.
    street : str
        The canonical name of the street or town it lies in, when known ("" otherwise).
    source : {"gazetteer", "landmark", "custom"}
    kind : str
        A landmark's kind (scenic, road, station ...); the level for divisions.
    code : str
        The statistics code of a division ("" for landmarks).
    aliases : tuple of str
        Other names of a landmark (苏州火车站 for 苏州站).
    """

    name: str
    level: str
    district: str
    street: str = ""
    source: str = "gazetteer"
    kind: str = ""
    code: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Form:
    """A string that names ``place``: ``strength`` is ``full``, ``bare`` or ``weak`` (module docstring)."""

    text: str
    place: Place
    strength: str


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("nlp").joinpath("gazetteer", name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _generic(stem: str) -> bool:
    """True for stems that name no place on their own; a single character never does (东, 金)."""
    return len(stem) < 2 or stem in _NO_BARE or any(part in stem for part in _GENERIC_PARTS)


@cache
def _common_words() -> frozenset[str]:
    """Bare names that are common words (``common_words.txt``, written by tools/build_gazetteer.py)."""
    text = resources.files("nlp").joinpath("gazetteer", "common_words.txt").read_text(encoding="utf-8")
    return frozenset(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))


def bare_names(name: str, level: str) -> tuple[str, str]:
    """The canonical name of a division and its bare name ("" when it has none).

    >>> bare_names("学府社区居委会", "community")
    ('学府社区', '学府')
    >>> bare_names("十一圩港村村民委员会", "community")
    ('十一圩港村', '十一圩港')
    >>> bare_names("黄埭镇", "street")
    ('黄埭镇', '黄埭')
    """
    if level == "street":
        stem = _STREET_SUFFIX.sub("", name)
        return name, "" if stem == name or _generic(stem) else stem
    if level != "community":
        return name, ""
    if (m := _VILLAGE.match(name)) is not None:
        stem = m["stem"]
        return stem + "村", "" if _generic(stem) else stem
    if (m := _COMMUNITY.match(name)) is not None:
        stem = m["stem"]
        return stem + "社区", "" if _generic(stem) else stem
    stem = name.removesuffix("社区")
    return name, "" if stem == name or _generic(stem) else stem


def division_forms(place: Place, raw_name: str, short: str) -> Iterator[tuple[str, str]]:
    """The forms (text, strength) of a street or community named ``raw_name`` in the source.

    ``short`` is its district's name without 区/市 (吴中), for generic streets (吴中开发区).
    """
    if raw_name in _GENERIC_STREETS:
        yield from ((short + raw_name, "full"), (place.district + raw_name, "full"))
        return
    yield raw_name, "full"
    yield place.name, "full"
    paren = _PAREN.match(raw_name)
    if paren is not None:  # 科技城（东渚街道）: 科技城, 东渚街道, 东渚 ; 浒墅关经开区（镇）: 浒墅关镇, 浒墅关
        head, inner = paren["head"], paren["inner"]
        yield head, "bare" if _generic(head) else "full"
        if inner in ("镇", "街道"):
            stem = head.removesuffix("经开区")
            yield stem + inner, "full"
            yield stem, "bare"
        else:
            yield inner, "full"
            _, stem = bare_names(inner, place.level)
            if stem:
                yield stem, "bare"
        return
    if place.level == "community":
        base = place.name[:-2] if place.name.endswith("社区") else place.name[:-1]
        yield base + ("居委会" if place.name.endswith("社区") else "村委会"), "full"
    _, stem = bare_names(raw_name, place.level)
    if stem:
        yield stem, "bare"


def _alias_strength(alias: str) -> str:
    """Generic aliases are weak (园区); a name without its 区 or 市 is bare, held to the boundary
    rules like 横塘 for 横塘街道 (非常熟悉 holds 常熟, 吴江路 is a road in Shanghai)."""
    if alias in WEAK_ALIASES:
        return "weak"
    return "full" if alias.endswith(("区", "市")) else "bare"


def _short(district: str) -> str:
    return district if district == "苏州工业园区" else district[:-1]


@cache
def _divisions() -> tuple[tuple[Place, tuple[tuple[str, str], ...]], ...]:
    """Every division with its forms, from the shipped source rows."""
    areas = {row["code"]: row["name"] for row in _rows("areas.csv")}
    if sorted(areas.values()) != sorted(PLATFORMS):
        raise ValueError(f"expected the gazetteer's districts to be {PLATFORMS}, got {tuple(areas.values())}")
    out: list[tuple[Place, tuple[tuple[str, str], ...]]] = []
    for code, name in areas.items():
        aliases = ((alias, _alias_strength(alias)) for alias in DISTRICT_ALIASES[name])
        forms = ((name, "full"), *aliases)
        out.append((Place(name, "district", name, code=code), forms))
    streets: dict[str, tuple[str, str]] = {}  # code -> (canonical name, district)
    for row in _rows("streets.csv"):
        district = areas[row["areaCode"]]
        place = Place(bare_names(row["name"], "street")[0], "street", district, code=row["code"])
        paren = _PAREN.match(row["name"])
        if paren is not None and paren["inner"] not in ("镇", "街道"):
            place = Place(paren["inner"], "street", district, code=row["code"])  # 科技城（东渚街道） is 东渚街道
        elif paren is not None:
            place = Place(paren["head"].removesuffix("经开区") + paren["inner"], "street", district, code=row["code"])
        streets[row["code"]] = (place.name, district)
        out.append((place, tuple(division_forms(place, row["name"], _short(district)))))
    for row in _rows("villages.csv"):
        if _VIRTUAL.search(row["name"]):
            continue
        street, district = streets[row["streetCode"]]
        canonical, _ = bare_names(row["name"], "community")
        place = Place(canonical, "community", district, street, code=row["code"])
        out.append((place, tuple(division_forms(place, row["name"], _short(district)))))
    return tuple(out)


def parse_places_csv(text: str, *, source: str = "custom", where: str = "<places>") -> list[tuple[Place, ...]]:
    """Parse a landmark list (columns :data:`LANDMARK_COLUMNS`) into places, one tuple per row.

    A row whose ``district`` holds several platforms separated by ``|`` (阳澄湖 borders four)
    gives one place per platform: an ambiguous name the resolver decides from context.

    Raises
    ------
    InputError
        Listing every bad row by line number, e.g. ``line 3: expected district one of
        姑苏区, 虎丘区, ..., got '苏州'``.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in ("name", "district") if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(
            f"{where}: expected columns {', '.join(LANDMARK_COLUMNS)} (name and district required), got {reader.fieldnames}"
        )
    problems: list[str] = []
    out: list[tuple[Place, ...]] = []
    for row in reader:
        line = reader.line_num
        name = (row.get("name") or "").strip()
        districts = [d.strip() for d in (row.get("district") or "").split("|") if d.strip()]
        bad = [d for d in districts if d not in PLATFORMS]
        if not name:
            problems.append(f"line {line}: expected a name, got an empty cell")
        elif not districts or bad:
            problems.append(
                f"line {line}: expected district one of {', '.join(PLATFORMS)} (several separated by |), got {row.get('district')!r}"
            )
        else:
            kind = (row.get("kind") or "").strip() or "landmark"
            street = (row.get("street") or "").strip()
            aliases = tuple(a.strip() for a in (row.get("aliases") or "").split("|") if a.strip())
            out.append(tuple(Place(name, "landmark", d, street, source, kind, aliases=aliases) for d in districts))
    if problems:
        raise InputError(f"{where}: {len(problems)} bad row(s): " + "; ".join(problems))
    return out


def landmark_forms(place: Place) -> Iterator[tuple[str, str]]:
    """A landmark's name and aliases: full forms, but a name of two characters is held to the
    boundary rules of bare names (同里 in 合同里, 留园 in 留园路)."""
    for text in (place.name, *place.aliases):
        yield text, "bare" if len(text) <= 2 else "full"


def load_custom_places(path: str | Path) -> tuple[Place, ...]:
    """Read an operator's place list (a CSV with the columns of ``landmarks.csv``).

    Its entries extend the built-in ones; an entry whose name is a built-in landmark's
    replaces that landmark. See :func:`parse_places_csv` for the format and errors.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        text = path.read_text(encoding="gb18030")  # as government systems export
    except OSError as exc:
        raise InputError(f"{path}: cannot read the place list ({exc.strerror}); give a CSV file") from exc
    return tuple(p for row in parse_places_csv(text, source="custom", where=str(path)) for p in row)


@cache
def _landmarks() -> tuple[Place, ...]:
    text = resources.files("nlp").joinpath("gazetteer", "landmarks.csv").read_text(encoding="utf-8")
    return tuple(
        p for row in parse_places_csv(text, source="landmark", where="nlp/gazetteer/landmarks.csv") for p in row
    )


def builtin_places() -> tuple[Place, ...]:
    """Every shipped place: the 10 districts, their streets and communities, the landmarks."""
    return tuple(p for p, _ in _divisions()) + _landmarks()


def all_forms(custom: Iterable[Place] = ()) -> list[Form]:
    """The forms of every shipped place and of ``custom`` places (which replace landmarks of the same name).

    Weak (matched only with backing): a bare name that is a common word (``common_words.txt``),
    every bare community name of two characters (on 19,000 messages of another city, 2-character
    community names matched inside words far more often than they named a place: 宅基 in
    住宅基本, 李市 in 李市长), and a community's full name that is a common phrase (新农村).
    """
    custom = tuple(custom)
    replaced = {p.name for p in custom}
    common = _common_words()
    forms: list[Form] = []
    for place, pairs in _divisions():
        forms.extend(Form(text, place, strength) for text, strength in dict(pairs).items())
    for place in (*(p for p in _landmarks() if p.name not in replaced), *custom):
        forms.extend(Form(text, place, strength) for text, strength in landmark_forms(place))
    out = []
    for form in forms:
        community = form.place.level == "community"
        if form.strength == "bare" and form.place.level in ("street", "community"):
            weak = form.text in common or (community and len(form.text) <= 2)
        else:
            weak = form.strength == "full" and community and form.text in common
        out.append(Form(form.text, form.place, "weak") if weak else form)
    return out
