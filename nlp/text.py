"""Pure text functions: normalisation for models, PII masking for display and logs.

Both are ``str -> str``, idempotent, and safe on any input string.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Callable
from functools import partial
from itertools import compress, count, repeat

__all__ = ["clean", "clean_many", "mask_pii", "normalize", "normalize_many"]

# Zero-width and byte-order-mark characters that survive NFKC.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
# The same punctuation mark repeated ("！！！", "。。。", "???") carries no meaning for a model.
_REPEATED_PUNCT = re.compile(r"([^\w\s])\1+")


_FULL_WIDTH = re.compile("[\uff01-\uff5e\u3000]")


def _half_width(match: re.Match[str]) -> str:
    char = match.group()
    return " " if char == "\u3000" else chr(ord(char) - 0xFEE0)


_COMMON_FULL_WIDTH = tuple((chr(ord(c) + 0xFEE0), c) for c in ",:()!?;")


def normalize(text: str) -> str:
    """Return the canonical form of ticket text that every model sees.

    NFKC folds full-width letters, digits and punctuation to half-width;
    whitespace runs become one space; a punctuation mark repeated becomes one;
    Latin letters are lower-cased.

    Parameters
    ----------
    text : str
        Raw ticket text.

    Returns
    -------
    str
        Normalised text; ``normalize(normalize(t)) == normalize(t)``.
    """
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    # Full-width ASCII and the ideographic space first: NFKC maps them the same way, and a text
    # without them usually passes NFKC's quick check (about 1.5x faster overall). The marks of
    # Chinese punctuation are replaced in C first; the regex calls back once per other match.
    for full, half in _COMMON_FULL_WIDTH:
        if full in text:
            text = text.replace(full, half)
    text = unicodedata.normalize("NFKC", _FULL_WIDTH.sub(_half_width, text))
    # lower() can produce characters that NFKC folds again (and vice versa), so fold once
    # more to stay idempotent; a text lower() leaves alone is already folded.
    lowered = text.lower()
    if lowered != text:
        text = unicodedata.normalize("NFKC", lowered)
    text = _INVISIBLE.sub("", text)
    text = _REPEATED_PUNCT.sub(r"\1", text)
    return " ".join(text.split())  # whitespace runs (str.isspace, as the regex \s) -> one space, ends stripped


# Placeholders contain no digits or letters that a pattern below could match again.
MASKS = {
    "email": "[邮箱]",
    "id_number": "[身份证号]",
    "bank_card": "[银行卡号]",
    "mobile": "[手机号]",
    "landline": "[电话]",
    "plate": "[车牌]",
}

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_D = r"[0-9０-９]"  # ASCII or full-width digit (raw text may not be normalised yet)
_NOT_DIGIT_BEFORE = r"(?<![0-9０-９])"
_NOT_DIGIT_AFTER = r"(?![0-9０-９])"

# Order matters: longer digit patterns first, so an ID number is not read as a phone.
_PII_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("email", re.compile(r"[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")),
    (
        "id_number",
        re.compile(_NOT_DIGIT_BEFORE + rf"[1-9]{_D}{{16}}[{_D[1:-1]}xXｘＸ]" + r"(?![0-9０-９a-zA-Z])"),
    ),
    (
        "bank_card",
        # 16 to 19 digits, optionally grouped by spaces or hyphens in fours.
        re.compile(_NOT_DIGIT_BEFORE + rf"(?:{_D}{{4}}[ -]?){{3}}{_D}{{4}}(?:[ -]?{_D}{{1,3}})?" + _NOT_DIGIT_AFTER),
    ),
    (
        "mobile",
        re.compile(
            _NOT_DIGIT_BEFORE + rf"(?:\+?86[ -]?)?[1１][3-9３-９]{_D}[ -]?{_D}{{4}}[ -]?{_D}{{4}}" + _NOT_DIGIT_AFTER
        ),
    ),
    (
        "landline",
        re.compile(
            # With an area code (0512-65223456), or a bare 7-8 digit number right after 电话/座机/tel.
            _NOT_DIGIT_BEFORE
            + rf"(?:[(（]?0{_D}{{2,3}}[)）]?[ -]?{_D}{{7,8}}"
            + rf"|(?<=电话)[:： ]?{_D}{{7,8}}|(?<=座机)[:： ]?{_D}{{7,8}}|(?<=tel)[:： ]?{_D}{{7,8}})"
            + _NOT_DIGIT_AFTER,
            re.IGNORECASE,
        ),
    ),
    (
        "plate",
        re.compile(
            rf"[{_PROVINCES}][A-Za-zＡ-Ｚａ-ｚ][·・. ]?[A-Za-z0-9Ａ-Ｚａ-ｚ０-９]{{5,6}}(?![A-Za-z0-9])",
        ),
    ),
]


_PLATE = dict(_PII_PATTERNS)["plate"]
assert [kind for kind, _ in _PII_PATTERNS][-1] == "plate", "clean_many masks plates last, as mask_pii"

# Cheap tests that rule patterns out before they scan the text. Every digit pattern needs 7
# digits in a row or "dddd dddd" (bank cards, mobiles, ID and landline numbers all do); an
# e-mail needs "@". Most tickets pass neither, and the e-mail pattern is the slowest scan.
_DIGIT_KINDS = {"id_number", "bank_card", "mobile", "landline"}
# One branch, "dddd[ -]?ddd", covers both cases and scans ~3x faster than the alternation.
_MAY_HAVE_DIGIT_PII = re.compile(rf"{_D}{{4}}[ -]?{_D}{{3}}")


def mask_pii(text: str) -> str:
    """Replace personal data with placeholders such as ``[手机号]``.

    Masks e-mail addresses, 18-digit ID numbers, bank card numbers, mobile and
    landline numbers, and licence plates. Works on raw or normalised text.
    Used wherever ticket text is shown, logged or stored outside the ticket system,
    and before features are built, so that no model vocabulary holds personal data.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
        The text with personal data replaced; ``mask_pii`` is idempotent.
    """
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    skip = set() if _MAY_HAVE_DIGIT_PII.search(text) else set(_DIGIT_KINDS)
    if "@" not in text:
        skip.add("email")
    for kind, pattern in _PII_PATTERNS:
        if kind not in skip:
            text = pattern.sub(MASKS[kind], text)
    return text


def clean(text: str) -> str:
    """Normalise, then mask: the text models are trained and served on."""
    return mask_pii(normalize(text))


# Joins a batch into one string for normalize_many and clean_many. A control character that no step changes or
# matches: it is whitespace to \s and str.split (so the repeated-punctuation pattern never takes
# it), is never produced by NFKC or lower(), composes with nothing, and no PII pattern admits it.
_SEPARATOR = "\x1e"


# Texts joined at a time: the joined string and its intermediate copies stay a few MB
# whatever the number of texts (a training set of a million tickets is two million texts).
_BATCH_TEXTS = 10_000


def normalize_many(texts: list[str]) -> list[str]:
    """``[normalize(t) for t in texts]``, with most of the work done once per batch of texts joined into one string.

    On short tickets the per-call cost of a dozen string and regex operations is most of the
    work of :func:`normalize`. Here the character-level steps run once on a joined batch
    (each acts within a text, see ``_SEPARATOR``); NFKC and whitespace folding run text by
    text. A batch holding the separator itself is normalised text by text.
    """
    return _in_batches(texts, _normalize_batch)


def clean_many(texts: list[str]) -> list[str]:
    """``[clean(t) for t in texts]``: :func:`normalize_many`, then the PII masks.

    The PII patterns other than plates run text by text, on the texts that hold an "@" or a
    run of digits; plates are masked on the joined batch.
    """
    return _in_batches(texts, _clean_batch)


def _in_batches(texts: list[str], work: Callable[[list[str]], list[str]]) -> list[str]:
    if len(texts) <= _BATCH_TEXTS:
        return work(texts)
    return [out for start in range(0, len(texts), _BATCH_TEXTS) for out in work(texts[start : start + _BATCH_TEXTS])]


def _normalize_batch(texts: list[str]) -> list[str]:
    joined = _join(texts)
    if joined is None:
        return [normalize(t) for t in texts]  # also raises normalize's TypeError for a non-string
    return _normalized(joined)


def _clean_batch(texts: list[str]) -> list[str]:
    joined = _join(texts)
    if joined is None:
        return [clean(t) for t in texts]  # also raises clean's TypeError for a non-string
    out = _normalized(joined)
    # A text without "@" and without a run of digits can only hold a plate (as mask_pii's gates).
    may_hold = map(
        operator.or_, map(bool, map(_MAY_HAVE_DIGIT_PII.search, out)), map(operator.contains, out, repeat("@"))
    )
    for i in compress(count(), may_hold):
        out[i] = mask_pii(out[i])
    # The plate pattern on every text; mask_pii is idempotent, so the texts masked above keep their mask.
    return _PLATE.sub(MASKS["plate"], _SEPARATOR.join(out)).split(_SEPARATOR)


def _normalized(joined: str) -> list[str]:
    """:func:`normalize` of each text of a batch joined by ``_SEPARATOR``."""
    for full, half in _COMMON_FULL_WIDTH:
        if full in joined:
            joined = joined.replace(full, half)
    # NFKC text by text: one text that fails NFKC's quick check would send the whole batch
    # through the slow full normalisation.
    joined = _nfkc_each(_FULL_WIDTH.sub(_half_width, joined))
    lowered = joined.lower()
    if lowered != joined:
        joined = _nfkc_each(lowered)  # NFKC is idempotent on the texts lower() left alone
    joined = _REPEATED_PUNCT.sub(r"\1", _INVISIBLE.sub("", joined))
    return list(map(" ".join, map(str.split, joined.split(_SEPARATOR))))  # whitespace folding, text by text


def _nfkc_each(joined: str) -> str:
    return _SEPARATOR.join(map(partial(unicodedata.normalize, "NFKC"), joined.split(_SEPARATOR)))


def _join(texts: list[str]) -> str | None:
    """The texts joined by the separator, or None when that cannot be split back (or is not all strings)."""
    if not texts:
        return None
    try:
        joined = _SEPARATOR.join(texts)
    except TypeError:
        return None
    return joined if joined.count(_SEPARATOR) == len(texts) - 1 else None
