"""Pure text functions: normalisation for models, PII masking for display and logs.

Both are ``str -> str``, idempotent, and safe on any input string.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from functools import cache, partial
from itertools import compress, count

from nlp.batching import CLEAN_BATCH

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


# Placeholders hold no digit and no Latin letter: no pattern below matches them again, and
# normalize() leaves them as they are, so that mask_pii and clean stay idempotent.
MASKS = {
    "email": "[邮箱]",
    "id_number": "[身份证号]",
    "bank_card": "[银行卡号]",
    "mobile": "[手机号]",
    "landline": "[电话]",
    "plate": "[车牌]",
    "qq": "[扣扣号]",
    "wechat": "[微信号]",
    "name": "[姓名]",
}

# One separator a writer may put between two digits of a number: a space (the ideographic and
# no-break spaces become one under NFKC), a tab, a hyphen or dash, a dot (138.1234.5678) or a
# middle dot (138·1234·5678; also the bullet, hyphenation point and katakana forms).
_SEP_CHARS = r" \t.\-\u2010-\u2015\u00b7\u2022\u2027\u2219\u30fb"
_SEP = rf"[{_SEP_CHARS}]?"
# What may stand between a cue (电话, 卡号, 我叫 ...) and what it announces.
_FILL = r"[ \t:：]*(?:是|为)?[ \t:：]*"
_HAN = "\u4e00-\u9fff"
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"


def _variants(*words: str) -> str:
    """An alternation of ``words``, Latin ones in lower, upper and title case (QQ, qq, Qq; not qQ).

    Patterns spell case out rather than use re.IGNORECASE, which keeps the regex engine from
    skipping ahead by the first characters of an alternation of literals (several times slower).
    """
    return "|".join(map(re.escape, dict.fromkeys(v for w in words for v in (w, w.upper(), w.title()))))


def _keys(*words: str) -> re.Pattern[str]:
    """A pattern finding any of ``words``: a cheap test before a costly pattern (faster than ``any(w in text ...)``)."""
    return re.compile(_variants(*words))


def _cued(cues: str, value: str) -> re.Pattern[str]:
    """``value`` after one of ``cues``; the cue and what follows it are kept (group ``cue``, see :func:`_after_cue`)."""
    return re.compile(rf"(?P<cue>(?:{cues}){_FILL}){value}")


def _after_cue(kind: str) -> Callable[[re.Match[str]], str]:
    """The replacement of a :func:`_cued` match: its cue, then the placeholder of ``kind``.

    A function rather than the template ``\\g<cue>[...]``: re.sub parses a template on every call.
    """
    mask = MASKS[kind]
    return lambda found: found.group("cue") + mask


# Numbers that carry a label saying they are no personal data (订单号2022041500012345, 发票号码
# 044031900111, 编号05121234567): kept whole, and no pattern looks inside them. A PII word just
# before the label (身份证编号, 手机号码) takes precedence (tested in Python: lookbehinds before
# the alternation would keep the regex engine from skipping ahead by its first characters).
_LABELLED_NUMBER = re.compile(
    r"(?:订单|单号|编号|发票|工单|快递|运单|流水|案号|合同|批号|型号|序列号|税号|货号|票号|凭证号|受理号|回执号|邮编|邮政编码)"
    rf"(?:号码|代码|号|码)?{_FILL}[a-zA-Z]{{0,4}}-?\d[\d-]*"
)

# Numbers recognised by their shape, wherever they stand; one scan tries them in this order at
# each position, so an ID number written in groups (320502 19900101 1234) is read whole, never
# as the mobile number its last 11 digits look like.
_SHAPES = {
    "id18": rf"(?<!\d)[1-9](?:{_SEP}\d){{16}}{_SEP}(?:\d(?!\d)|[xX](?![a-zA-Z]))",
    # 16 to 19 digits, in any grouping (4-4-4-4, 6+13); card numbers start with 3-6 or 9.
    "card": rf"(?<!\d)[3-69](?:{_SEP}\d){{15,18}}(?!\d)",
    "mobile": rf"(?<!\d)(?:(?:\+|00)?86{_SEP}|\(\+?86\){_SEP})?\(?1{_SEP}[3-9]{_SEP}\d\)?{_SEP}\d(?:{_SEP}\d){{7}}(?!\d)",
    # The 15-digit ID numbers of before 1999: area code, yymmdd, sequence.
    "id15": rf"(?<!\d)[1-9](?:{_SEP}\d){{7}}{_SEP}[01]{_SEP}\d{_SEP}[0-3](?:{_SEP}\d){{4}}(?!\d)",
    # With an area code: 0512-6812 3456, (0512)68123456, +86 512 68123456.
    "landline": rf"(?<!\d)(?:(?:\+|00)86{_SEP}\(?0?|\(?0)(?:10|2\d|[3-9]\d\d)\)?{_SEP}[1-9](?:{_SEP}\d){{6,7}}(?!\d)",
}
_SHAPED = re.compile("|".join(f"(?P<{name}>{shape})" for name, shape in _SHAPES.items()))
_SHAPE_MASKS = {
    "id18": MASKS["id_number"],
    "card": MASKS["bank_card"],
    "mobile": MASKS["mobile"],
    "id15": MASKS["id_number"],
    "landline": MASKS["landline"],
}


# Where a shaped number can be: ten characters or more of digits, separators and brackets, the
# first a digit (every shape is). The scan skips text fast; the shapes then run only in these windows.
_NUMBER_RUN = re.compile(rf"\d[\d()+{_SEP_CHARS}]{{9,}}")


def _mask_shaped(text: str) -> str:
    """``_SHAPED.sub`` of the text, scanning only the runs of digits that could hold a shaped number."""
    pieces: list[str] = []
    last = 0
    for run in _NUMBER_RUN.finditer(text):
        # The window opens two characters early for "(+86)" and "(0512)"; the lookbehinds see
        # the text before it. Two characters after it let the lookaheads see what they see in
        # the whole text (an ID number's final x, and one more).
        for found in _SHAPED.finditer(text, max(last, run.start() - 2), run.end() + 2):
            pieces += (text[last : found.start()], _SHAPE_MASKS[str(found.lastgroup)])
            last = found.end()
    return "".join([*pieces, text[last:]]) if pieces else text


# Data announced by a word before it: any digits after 身份证 or 卡号, a bare local number after
# 电话 or 联系方式, a QQ or WeChat id. Each pattern runs only on a text holding one of its keys
# (lower case), a test much cheaper than the scan.
_CUED_NUMBERS: list[tuple[re.Pattern[str], str, re.Pattern[str]]] = [
    (
        _keys("身份证", "证件号"),
        "id_number",
        _cued(r"身份证(?:号码|号)?|证件号码?", rf"\d(?:{_SEP}[\dxX]){{13,17}}(?![\da-zA-Z])"),
    ),
    (
        _keys("卡号", "银行卡", "账号", "帐号", "账户", "帐户"),
        "bank_card",
        _cued(r"银行卡号?|卡号|银行账号|账号|帐号|账户|帐户", rf"\d(?:{_SEP}\d){{9,18}}(?!\d)"),
    ),
    (
        _keys("联系", "电话", "手机", "座机", "固话", "号码", "tel", "phone", "致电", "拨打", "回电"),
        "landline",
        _cued(
            rf"(?:联系(?:方式|电话|号码)?|电话(?:号码)?|手机(?:号码|号)?|座机|固话|号码|{_variants('tel', 'phone')}|致电|拨打|回电)(?:人|我|本人)?",
            rf"\d(?:{_SEP}\d){{6,11}}(?!\d)",
        ),
    ),
    (
        _keys("qq", "扣扣", "企鹅"),
        "qq",
        _cued(rf"(?:{_variants('qq', '扣扣', '企鹅')})(?:号码|号)?", r"\d{5,11}(?!\d)"),
    ),
]
_WECHAT_KEYS = _keys("微信", "vx", "wx", "weixin")
_WECHAT = _cued(
    rf"(?:{_variants('微信', 'vx', 'wx', 'weixin')})(?:号码|号|{_variants('id')})?",
    r"[a-zA-Z][-_a-zA-Z0-9]{5,19}(?![-_a-zA-Z0-9])",
)
_REPLACE = {kind: _after_cue(kind) for kind in ("id_number", "bank_card", "landline", "qq", "wechat", "name")}
_PII_WORDS = ("身份证", "证件", "银行卡", "手机", "电话", "卡")
_LABEL_KEYS = _keys("单", "号", "票", "编", "快递", "流水", "合同", "邮政")

# A personal name after a strong cue (我叫, 姓名, 联系人 ...): two Han characters, a third unless
# it reads as the next word (我叫张伟住在...); not when the cue is a verb (我叫了救护车).
_NAME_CUES = "我叫|本人叫|我的名字叫|我的名字是|名字叫|本人姓名|真实姓名|姓名|联系人|报案人|投诉人|反映人|来电人|户主"
_NOT_A_NAME_START = "了过着他她它你我们的是和与及等都也不没就还要想在把被让给来去到这那一个啥什怎为请已能会可信电身地住联手证号码叫做外车救医警物保快滴人"
_NOT_A_NAME_END = "我你他她的是在住家电手联反投想要说和了也都就从到给被把身年"
# After a weak cue (我是, 本人) only a common surname and 1-2 characters up to punctuation.
_WEAK_NAME_CUES = "我是|本人"
_NAME_END = r"(?=$|[\s,，。.!！?？;；、:：()（）]|电话|手机|联系|家住|住在|身份证|今年)"

# The e-mail's last label: Latin letters, or a Chinese top-level domain (例子.中国).
_EMAIL = re.compile(
    r"[\w.+%-]+@(?:[\w-]+[.。])+(?:[a-z]{2,24}(?![a-z])|中国|中國|公司|网络|网址|在线|商城|集团|香港|台湾|台灣)",
    re.IGNORECASE,
)
_ASCII_LOCAL = re.compile(r"[A-Za-z0-9]")

# Ordinary plates: province, letter (no I or O), five characters with at most two letters, or
# four and 学/警/挂...; new-energy plates: D or F and five characters, or five digits and D or F.
_PLATE = re.compile(
    rf"[{_PROVINCES}] ?[a-hj-np-z][ ·・.\-]?"
    r"(?:[df][a-hj-np-z0-9]\d{4}|\d{5}[df]|[a-hj-np-z0-9]{4}[学警挂港澳领试超]|(?P<serial>[a-hj-np-z0-9]{5}))"
    r"(?![a-z0-9])",
    re.IGNORECASE,
)

# Cheap tests that rule patterns out before they scan the text. Every number above has five
# digits in a row, give or take separators; an e-mail needs "@"; a name or WeChat id its cue.
_MAY_HAVE_DIGITS = re.compile(rf"\d(?:{_SEP}\d){{4}}")
_NAME_KEYS = _keys(*_NAME_CUES.split("|"), *_WEAK_NAME_CUES.split("|"))


def _may_hold(text: str) -> bool:
    """Whether ``text`` (folded or normalised) may hold personal data other than a plate."""
    return bool("@" in text or _MAY_HAVE_DIGITS.search(text) or _WECHAT_KEYS.search(text) or _NAME_KEYS.search(text))


@cache
def _name_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The name patterns (strong and weak cues); built on first use, as they read the surname list."""
    from nlp.lexicon import load_words

    surnames = " ".join(load_words("surnames")).split()
    single = "".join(s for s in surnames if len(s) == 1)
    compound = "|".join(s for s in surnames if len(s) > 1)
    strong = _cued(
        _NAME_CUES,
        rf"(?:(?:{compound})[{_HAN}]{{1,2}}|(?![{_NOT_A_NAME_START}])[{_HAN}]{{2}}(?:(?![{_NOT_A_NAME_END}])[{_HAN}])?)",
    )
    weak = _cued(_WEAK_NAME_CUES, rf"(?:{compound}|[{single}])[{_HAN}]{{1,2}}?{_NAME_END}")
    return strong, weak


def _fold(text: str) -> str:
    """The characters masking compares: NFKC (full-width digits, letters and spaces to ASCII), no invisible marks.

    Case, punctuation and line breaks stay as written: this is the form text is stored and shown in.
    """
    text = _INVISIBLE.sub("", text)
    for full, half in _COMMON_FULL_WIDTH:
        if full in text:
            text = text.replace(full, half)
    return unicodedata.normalize("NFKC", _FULL_WIDTH.sub(_half_width, text))


def _mask_email(match: re.Match[str]) -> str:
    # Unicode \w lets the local part run back into the sentence (邮箱zhang@...): a Latin address
    # keeps the words before it; an address all in Han characters (张三@例子.中国) goes whole.
    local = match.group()[: match.group().index("@")]
    first_latin = _ASCII_LOCAL.search(local)
    if first_latin and not local[: first_latin.start()].isascii():
        return local[: first_latin.start()] + MASKS["email"]
    return MASKS["email"]


def _mask_plate(match: re.Match[str]) -> str:
    serial = match.group("serial")
    if serial is not None and sum(c.isdigit() for c in serial) < 3:  # 新iPhone, 苏AB几: not plates
        return match.group()
    return MASKS["plate"]


def _labelled_numbers(text: str) -> Iterator[re.Match[str]]:
    """The labelled numbers of ``text`` that no PII word precedes."""
    for found in _LABELLED_NUMBER.finditer(text):
        if not text.endswith(_PII_WORDS, 0, found.start()):
            yield found


def _mask_outside_labels(text: str, digits: bool) -> str:
    """Mask what the shape and cue patterns find, outside labelled numbers such as 订单号."""
    if not (_LABEL_KEYS.search(text) and _LABELLED_NUMBER.search(text)):
        return _mask_span(text, digits)
    out: list[str] = []
    start = 0
    for found in _labelled_numbers(text):
        out += (_mask_span(text[start : found.start()], digits), found.group())
        start = found.end()
    out.append(_mask_span(text[start:], digits))
    return "".join(out)


def _mask_span(text: str, digits: bool) -> str:
    if digits:
        text = _mask_shaped(text)
        for keys, kind, pattern in _CUED_NUMBERS:
            if keys.search(text):
                text = pattern.sub(_REPLACE[kind], text)
    if _WECHAT_KEYS.search(text):
        text = _WECHAT.sub(_REPLACE["wechat"], text)
    if _NAME_KEYS.search(text):
        for pattern in _name_patterns():
            text = pattern.sub(_REPLACE["name"], text)
    return text


def _mask_all_but_plates(text: str) -> str:
    """Every mask but the plates', on text already folded or normalised (clean_many masks plates batch-wide)."""
    if "@" in text:
        text = _EMAIL.sub(_mask_email, text)
    return _mask_outside_labels(text, _MAY_HAVE_DIGITS.search(text) is not None)


def _mask(text: str) -> str:
    return _PLATE.sub(_mask_plate, _mask_all_but_plates(text))


def mask_pii(text: str) -> str:
    """Fold the text as :func:`normalize` does for characters, then replace personal data with placeholders.

    The one function for text that is stored, shown or logged. Masks mobile and landline
    numbers (with +86/0086, spaces, dots or hyphens anywhere, full-width digits), ID numbers
    (18 and 15 digits), bank card numbers, e-mail addresses (also full-width and
    internationalised), licence plates, QQ and WeChat ids after their cue, and a name after
    我叫, 姓名, 联系人 and the like. Numbers labelled as something else (订单号, 发票号码, 编号,
    快递单号 ...) are kept, as are amounts, dates, times and room numbers.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
        The text in NFKC form (full-width characters half-width; case, punctuation and line
        breaks as written) with personal data replaced; ``mask_pii`` is idempotent.
    """
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    return _mask(_fold(text))


def clean(text: str) -> str:
    """Normalise, then mask: the text models are trained and served on."""
    return _mask(normalize(text))


# Joins a batch into one string for normalize_many and clean_many. A control character that no step changes or
# matches: it is whitespace to \s and str.split (so the repeated-punctuation pattern never takes
# it), is never produced by NFKC or lower(), composes with nothing, and no PII pattern admits it.
_SEPARATOR = "\x1e"


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

    The PII patterns other than plates run text by text, on the texts that hold an "@", a
    run of digits or a cue word; plates are masked on the joined batch.
    """
    return _in_batches(texts, _clean_batch)


def _in_batches(texts: list[str], work: Callable[[list[str]], list[str]]) -> list[str]:
    if len(texts) <= CLEAN_BATCH:
        return work(texts)
    return [out for start in range(0, len(texts), CLEAN_BATCH) for out in work(texts[start : start + CLEAN_BATCH])]


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
    # Only a text the gates let through can hold personal data other than a plate.
    for i in compress(count(), map(_may_hold, out)):
        out[i] = _mask_all_but_plates(out[i])
    # The plate pattern on every text at once (as _mask, last).
    return _PLATE.sub(_mask_plate, _SEPARATOR.join(out)).split(_SEPARATOR)


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
