"""A hotline-style COVID probe set: the check of the COVID head on the tickets it is for.

The public COVID texts are policy questions and Weibo posts; hotline tickets are citizens'
demands. This module writes tickets of the second kind, for evaluation only (no recipe
trains on them): COVID demands that never say 疫情 or 新冠 (a health code turned yellow,
waiting for 核酸 results, supplies in a sealed compound ...), look-alikes that share words
with them but are not about COVID (狂犬疫苗, 流感, 道路隔离带, 乘车码, 健康证, a fever),
and ordinary demands. Deterministic for a seed.
"""

from __future__ import annotations

import random

import pandas as pd

__all__ = ["covid_probe"]

_PLACES = ["工业园区", "姑苏区", "吴中区", "相城区", "虎丘区", "吴江区", "昆山市", "常熟市", "张家港市", "太仓市"]
_SITES = ["星海小区", "金鸡湖花园", "翰林苑", "青剑湖花园", "桐泾新村", "狮山小区", "御窑花园", "湖畔天城"]

# COVID demands as 2022 hotline callers put them, without 疫情 / 新冠.
_COVID = [
    "我的苏康码突然变成黄码了，我这几天都在{place}上班没去过别的地方，怎么才能转绿",
    "昨天在{site}做的核酸到现在还没出结果，单位要求24小时核酸证明，怎么查询",
    "{site}被划为封控区已经五天了，家里米和菜都没有了，社区电话一直打不通",
    "扫场所码一直弹窗，让我填报行程，可是我没有去过中高风险地区",
    "从外地返回{place}需要落地检吗？要不要居家隔离几天",
    "家里老人是密接，被通知去集中隔离，老人有基础病能不能申请居家",
    "{site}管控区出不去，孩子发烧要去医院，怎么申请通行",
    "{place}的核酸检测点排队两个多小时，能不能多开几个采样点",
    "买不到抗原试剂，药店说没货，请问哪里可以买到",
    "行程卡带星号，小区不让进，我已经在苏州住了一个月了",
    "方舱出来以后健康码还是红的，社区说要等数据更新，要等多久",
    "公司要求全员每天做核酸，{place}的免费采样点关门太早下班赶不上",
    "{site}有人确诊阳性了，我们楼栋要不要全员检测，物业什么都不说",
    "健康码显示需要做核酸，但是我三天前已经做过了，结果也是阴性",
    "我在{place}做了核酸，苏康码上一直显示待检测，影响上班",
]

# Look-alikes: words the COVID demands use, in demands that are not about COVID.
_LOOK_ALIKES = [
    "孩子被狗咬了，{place}哪家医院可以打狂犬疫苗，要打几针",
    "今年流感疫苗什么时候开始接种，{site}附近的社区卫生服务中心有没有",
    "{place}这段道路隔离带被撞坏了好几天，晚上很危险，请尽快修复",
    "乘车码扫不出来，地铁闸机一直报错，{place}站的工作人员也不管",
    "办理健康证需要体检，{place}哪里可以办，要带什么材料",
    "孩子发烧三十九度，{place}的儿童医院急诊排队太久了",
    "{site}楼下的绿化隔离带被人种了菜，物业不管",
    "老人要打肺炎疫苗和带状疱疹疫苗，{place}社区医院能打吗",
    "公交卡充值后乘车码余额不更新，{place}营业厅说要等三天",
    "食品从业人员健康证过期了，{place}卫生院体检要预约吗",
    "感冒咳嗽好几天了，{place}医保定点药店买药能不能刷医保卡",
    "高速公路中央隔离带的树太高挡视线，{place}出口附近",
]

_ORDINARY = [
    "{site}楼上装修从早上七点就开始电钻，严重扰民",
    "{place}公积金提取需要哪些材料，能不能网上办理",
    "{site}物业费一年涨了两次，业主都没有同意",
    "{place}的路灯坏了一个多月没人修",
    "公司拖欠三个月工资，老板人找不到了，{place}劳动监察在哪里",
    "{site}小区门口占道经营，早上堵得车都出不去",
]


def covid_probe(*, n_each: int = 60, seed: int = 0) -> pd.DataFrame:
    """Probe tickets: ``id``, ``title`` (empty), ``text``, ``covid`` (1/0) and ``kind``.

    ``kind`` is ``covid`` (COVID demands without 疫情/新冠), ``look_alike`` or ``ordinary``;
    ``n_each`` tickets of each kind.
    """
    rng = random.Random(seed)
    rows = []
    for kind, templates, label in (("covid", _COVID, 1), ("look_alike", _LOOK_ALIKES, 0), ("ordinary", _ORDINARY, 0)):
        for i in range(n_each):
            template = templates[i % len(templates)]
            text = template.format(place=rng.choice(_PLACES), site=rng.choice(_SITES))
            rows.append({"id": f"probe-{kind}-{i}", "title": "", "text": text, "covid": label, "kind": kind})
    return pd.DataFrame(rows)
