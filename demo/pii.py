"""Personal data written the many ways callers write it, and ordinary numbers that must stay.

Generated from templates and a seed (no real data), for evaluating the masking of
:mod:`nlp.text` only: ``pii_cases`` gives texts each holding one item of personal data in one
written form, ``ordinary_cases`` texts whose numbers are no personal data.
``tests/nlp/test_pii.py`` checks every case; ``bench/pii.py`` prints the counts. It lives here,
with the other generators of the demo package, so that tests and benchmarks share it without
either importing the other.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass

__all__ = ["PLACEHOLDER", "Case", "digits_of", "leaked", "ordinary_cases", "pii_cases"]

# Any placeholder of nlp.text.MASKS: a bracketed run of Han characters.
PLACEHOLDER = re.compile(r"\[[\u4e00-\u9fff]{2,5}\]")


@dataclass(frozen=True)
class Case:
    kind: str  # what the item is (mobile, landline, ..., or the kind of ordinary number)
    form: str  # how it is written (dots, 0086, full-width, ...)
    text: str  # the whole text
    secret: str  # the characters that must not survive masking ("" for ordinary numbers)


_FULL = str.maketrans("0123456789", "０１２３４５６７８９")
# Sentences around an item; they hold no digit and no Latin letter, so anything left is the item's.
_AROUND = [
    ("", ""),
    ("我的{cue}", "，请尽快回电"),
    ("{cue}：", "。"),
    ("麻烦联系我，{cue}是", "，谢谢"),
    ("楼上噪音扰民，本人{cue}", " 希望处理"),
    ("【{cue}】", "\n"),
]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _group(number: str, sizes: list[int], sep: str) -> str:
    out, start = [], 0
    for size in sizes:
        out.append(number[start : start + size])
        start += size
    return sep.join(out)


def _mobiles(rng: random.Random) -> list[tuple[str, str]]:
    m = rng.choice(["13", "15", "17", "18", "19"]) + _digits(rng, 9)
    return [
        ("plain", m),
        ("+86", f"+86 {m}"),
        ("+86-", f"+86-{m}"),
        ("0086", f"0086{m}"),
        ("0086 grouped", f"0086 {_group(m, [3, 4, 4], ' ')}"),
        ("(+86)", f"(+86){m}"),
        ("dots", _group(m, [3, 4, 4], ".")),
        ("hyphens", _group(m, [3, 4, 4], "-")),
        ("spaces", _group(m, [3, 4, 4], " ")),
        ("spaces 4-3-4", _group(m, [4, 3, 4], " ")),
        ("ideographic spaces", _group(m, [3, 4, 4], "\u3000")),
        ("full-width", m.translate(_FULL)),
        ("full-width hyphens", _group(m, [3, 4, 4], "－").translate(_FULL)),
        ("no-break spaces", _group(m, [3, 4, 4], "\xa0")),
    ]


def _landlines(rng: random.Random) -> list[tuple[str, str]]:
    area = rng.choice(["0512", "025", "010", "0510", "021"])
    local = rng.choice("2345678") + _digits(rng, 7)
    return [
        ("area-local", f"{area}-{local}"),
        ("area-local grouped", f"{area}-{local[:4]} {local[4:]}"),
        ("(area)local", f"({area}){local}"),
        ("full-width (area)", f"（{area}）{local}".translate(_FULL)),
        ("area space local", f"{area} {local}"),
        ("area+local", f"{area}{local}"),
        ("+86 area", f"+86 {area[1:]} {local}"),
        ("0086-area", f"0086-{area[1:]}-{local}"),
    ]


def _cued_landlines(rng: random.Random) -> list[tuple[str, str]]:
    local = rng.choice("2345678") + _digits(rng, 7)
    return [
        ("after 联系方式", f"联系方式{local}"),
        ("after 电话:", f"电话：{local}"),
        ("after 座机 grouped", f"座机 {local[:4]}-{local[4:]}"),
        ("after 固话", f"固话{local[:4]} {local[4:]}"),
        ("after 联系电话 7 digits", f"联系电话{local[:7]}"),
    ]


def _id18(rng: random.Random) -> str:
    birth = f"{rng.randint(1940, 2010)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    return rng.choice(["320502", "320582", "110105", "440301"]) + birth + _digits(rng, 3) + rng.choice("0123456789X")


def _ids(rng: random.Random) -> list[tuple[str, str]]:
    n = _id18(rng)
    x = n[:17] + "X"
    old = f"{n[:6]}{rng.randint(40, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{_digits(rng, 3)}"
    return [
        ("18 digits", n),
        ("ending in X", x),
        ("ending in x", x[:-1] + "x"),
        ("spaces 6-8-4", _group(n, [6, 8, 4], " ")),
        ("hyphens 6-8-4", _group(n, [6, 8, 4], "-")),
        ("full-width", x.translate(_FULL).replace("X", "Ｘ")),
        ("15 digits", old),
        ("15 digits spaced", _group(old, [6, 6, 3], " ")),
    ]


def _cards(rng: random.Random) -> list[tuple[str, str]]:
    c16 = rng.choice(["6222", "6217", "4367", "5187"]) + _digits(rng, 12)
    c19 = rng.choice(["622202", "621700", "955880"]) + _digits(rng, 13)
    c17 = "6228" + _digits(rng, 13)
    return [
        ("16 digits", c16),
        ("4-4-4-4 spaces", _group(c16, [4, 4, 4, 4], " ")),
        ("4-4-4-4 hyphens", _group(c16, [4, 4, 4, 4], "-")),
        ("19 digits", c19),
        ("6+13", _group(c19, [6, 13], " ")),
        ("4-4-4-4-3", _group(c19, [4, 4, 4, 4, 3], " ")),
        ("17 digits", c17),
        ("full-width grouped", _group(c16, [4, 4, 4, 4], "\u3000").translate(_FULL)),
    ]


def _emails(rng: random.Random) -> list[tuple[str, str]]:
    user = rng.choice(["zhangsan", "li.na", "wang_fang88", "chen-jing"]) + str(rng.randint(1, 99))
    host = rng.choice(["example.com", "mail.example.cn", "qq.com", "163.com"])
    return [
        ("ascii", f"{user}@{host}"),
        ("full-width", f"{user}＠{host}".translate(str.maketrans(".", "．")).upper().replace("＠", "＠")),
        ("full-width letters", "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in f"{user}@{host}")),
        ("IDN domain", f"{user}@例子.中国"),
        ("IDN all Han", "张三@例子.公司"),
        ("IDN umlaut", f"{user}@münchen.de"),
        ("digits qq", f"{rng.randint(10000, 999999999)}@qq.com"),
    ]


def _plates(rng: random.Random) -> list[tuple[str, str]]:
    province = rng.choice("苏沪浙皖京粤鲁")
    letter = rng.choice("ABCDEFGHJKLMN")
    digits = _digits(rng, 5)
    return [
        ("plain", f"{province}{letter}{digits}"),
        ("hyphen", f"{province}{letter}-{digits}"),
        ("space after province", f"{province} {letter}{digits}"),
        ("middle dot", f"{province}{letter}·{digits}"),
        ("one letter in serial", f"{province}{letter}{rng.choice('ABCXYZ')}{digits[:4]}"),
        ("new energy D", f"{province}{letter}D{digits}"),
        ("new energy F", f"{province}{letter}F{rng.choice('ABC')}{digits[:4]}"),
        ("new energy large", f"{province}{letter}{digits}D"),
        ("full-width", f"{province}{letter}{digits}".translate(_FULL)),
        ("lower case", f"{province}{letter.lower()}{digits}"),
    ]


def _qq_wechat(rng: random.Random) -> list[tuple[str, str]]:
    qq = str(rng.randint(10000, 99999999999))
    wx = rng.choice(["zhang_san", "wxid_abc", "lina-1990", "chenjing"]) + str(rng.randint(10, 999))
    return [
        ("QQ", f"QQ{qq}"),
        ("qq号", f"qq号：{qq}"),
        ("QQ号码是", f"QQ号码是 {qq}"),
        ("扣扣", f"扣扣 {qq}"),
        ("微信号", f"微信号：{wx}"),
        ("vx", f"vx: {wx}"),
    ]


_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华玉兰桂荣志刚建国"


def _names(rng: random.Random) -> list[tuple[str, str, str]]:
    """(form, text, name): a name after its cue, the rest of the sentence after it."""
    surname = rng.choice("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林")
    name = surname + "".join(rng.choice(_GIVEN) for _ in range(rng.randint(1, 2)))
    return [
        ("我叫", f"你好，我叫{name}，家住姑苏区", name),
        ("我叫 no comma", f"我叫{name}住在工业园区", name),
        ("本人叫", f"本人叫{name}，想咨询公积金", name),
        ("我的名字是", f"我的名字是{name}。", name),
        ("我是 + comma", f"您好我是{name}，楼上漏水", name),
        ("我是 + 电话", f"我是{name}电话打不通", name),
        ("本人姓名", f"本人姓名：{name}，反映噪音", name),
        ("姓名", f"姓名 {name} 事由停水", name),
        ("联系人", f"联系人：{name}。", name),
        ("投诉人", f"投诉人{name}，", name),
        ("compound surname", f"我叫欧阳{name[-1]}{rng.choice(_GIVEN)}，", "欧阳" + name[-1]),
    ]


def pii_cases(seed: int = 0, rounds: int = 8) -> list[Case]:
    """Texts each holding one item of personal data; ``secret`` is what must not be left."""
    rng = random.Random(seed)
    cases: list[Case] = []
    makers = [
        ("mobile", "手机号", _mobiles),
        ("landline", "电话", _landlines),
        ("landline", "", _cued_landlines),
        ("id_number", "身份证号", _ids),
        ("bank_card", "银行卡号", _cards),
        ("email", "邮箱", _emails),
        ("plate", "车牌", _plates),
        ("qq/wechat", "", _qq_wechat),
    ]
    for _ in range(rounds):
        before, after = rng.choice(_AROUND)
        for kind, cue, make in makers:
            for form, item in make(rng):
                text = before.format(cue=cue) + item + after.format(cue=cue)
                cases.append(Case(kind, form, text, _secret_of(kind, item)))
        for form, text, name in _names(rng):
            cases.append(Case("name", form, text, name))
    return cases


def _secret_of(kind: str, item: str) -> str:
    """The characters of ``item`` that identify a person: digits, letters of an e-mail and plate, a name."""
    if kind == "email":
        return item.split("@")[0].split("＠")[0]
    if kind == "qq/wechat":
        value = item.split("：")[-1].split(":")[-1].split(" ")[-1]
        return value.removeprefix("QQ").removeprefix("qq号")
    return item


def ordinary_cases(seed: int = 0, rounds: int = 8) -> list[Case]:
    """Texts whose numbers are no personal data: masking must leave them as written."""
    rng = random.Random(seed + 1)
    cases: list[Case] = []
    for _ in range(rounds):
        year, month, day = rng.randint(2015, 2024), rng.randint(1, 12), rng.randint(1, 28)
        stamp = f"{year}{month:02d}{day:02d}"
        labelled = [
            ("order number", f"订单号{stamp}{_digits(rng, 8)}"),
            ("order number spaced cue", f"我的订单号是 {stamp}{_digits(rng, 6)}，还没发货"),
            ("invoice", f"发票号码0{_digits(rng, 11)}开错了"),
            ("invoice code", f"发票代码：{_digits(rng, 12)}，发票号码：{_digits(rng, 8)}"),
            ("编号", f"编号0512{_digits(rng, 7)}的井盖坏了"),
            ("case number", f"工单编号{stamp}{_digits(rng, 4)}"),
            ("express", f"快递单号SF{_digits(rng, 13)}一直没更新"),
            ("waybill", f"运单号：{_digits(rng, 15)}"),
            ("工单号", f"工单号 {_digits(rng, 16)}"),
            ("contract", f"合同编号HT-{year}-{_digits(rng, 6)}"),
            ("serial", f"流水号{_digits(rng, 18)}"),
        ]
        plain = [
            ("amount", f"金额{rng.randint(1000, 99999999)}元"),
            ("amount decimals", f"共计{rng.randint(1, 9)},{rng.randint(100, 999)}.{rng.randint(10, 99)}元"),
            ("rent", f"房租每月{rng.randint(1500, 9000)}元，押金{rng.randint(1500, 9000)}元"),
            ("date iso", f"{year}-{month:02d}-{day:02d}开始停水"),
            ("date dots", f"{year}.{month}.{day}办理的"),
            ("date compact", f"{stamp}至今"),
            ("date chinese", f"{year}年{month}月{day}日下午{rng.randint(1, 6)}点"),
            ("datetime", f"{year}-{month:02d}-{day:02d} {rng.randint(10, 23)}:{rng.randint(10, 59)}:00来电"),
            ("time", f"晚上{rng.randint(20, 23)}:{rng.randint(10, 59)}还在施工"),
            ("room", f"{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元{rng.randint(1, 30)}0{rng.randint(1, 4)}"),
            ("room 幢室", f"楼号{rng.randint(1, 40)}幢{rng.randint(101, 2804)}室"),
            ("year", f"{year}年度补贴"),
            ("hotline", "拨打12345热线没人接"),
            ("iphone", f"买的新iPhone {rng.randint(11, 16)}坏了"),
            ("iphone no space", f"苏宁买的新iPhone{rng.randint(11, 16)}"),
            ("bus", f"{rng.randint(1, 999)}路公交改线"),
            ("metro", f"苏州地铁{rng.randint(1, 11)}号线"),
            ("area", f"面积{rng.randint(50, 200)}.{rng.randint(1, 9)}平方米"),
            ("percent", f"涨了{rng.randint(1, 99)}.{rng.randint(1, 9)}%"),
            ("households", f"共{rng.randint(1000, 99999)}户受影响"),
            ("postcode", f"邮编215{_digits(rng, 3)}"),
            ("temperature", f"体温{rng.randint(36, 39)}.{rng.randint(0, 9)}度"),
            ("emergency", "打了110和120"),
            ("population", f"人口{rng.randint(1000000, 9999999)}人"),
            ("price per sqm", f"均价{rng.randint(10000, 60000)}元/平方米"),
            ("province word", "苏州工业园区新建的学校"),
            ("model", f"型号ABC{_digits(rng, 6)}"),
            ("5G", f"{rng.choice('苏浙沪')}州5G信号差"),
            ("count", f"第{rng.randint(1, 20)}期，第{rng.randint(100, 999)}号"),
        ]
        for form, text in labelled:
            cases.append(Case("labelled number", form, text, ""))
        for form, text in plain:
            cases.append(Case("ordinary number", form, text, ""))
    return cases


def leaked(case: Case, masked: str) -> bool:
    """Whether ``masked`` still shows the identifying characters of the case's item."""
    secret = unicodedata.normalize("NFKC", case.secret)
    if case.kind == "name":
        return secret in masked or any(ch in masked for ch in secret[1:])
    if case.kind == "email":
        return "@" in masked or secret.lower() in masked.lower()
    rest = PLACEHOLDER.sub("", masked)
    if re.search(r"\d", secret):
        return re.search(r"\d", rest) is not None  # the sentences around an item hold no digit
    return secret.lower() in rest.lower()


def digits_of(text: str) -> str:
    """The digits of ``text`` (after NFKC): what masking must leave alone in an ordinary case."""
    return "".join(re.findall(r"\d", unicodedata.normalize("NFKC", text)))
