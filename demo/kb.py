"""A demo knowledge base in the style of Suzhou's 热线百科, with queries whose answers are known.

Everything here is written by this project: no real entry, ticket or caller. The knowledge base
holds hand-written entries (provident fund, social security card, hukou, housing subsidies,
schooling, medical insurance, COVID policies with versions) built so that retrieval is hard in the
ways the hotline's is:

- confusable pairs: near-identical entries told apart only by a detail of the caller's situation
  (renting vs buying, first card vs replacement, local vs non-local residents ...);
- versions: COVID entries with the same question and a newer ``valid_from`` (the older version is
  superseded from then on), and entries that expired;
- filler entries about other services, so that generic words (办理, 材料, 哪里) match many entries.

Queries are colloquial: an opener, the caller's situation in everyday words, a question, now and
then a district, a name or a phone number. Each topic has four situations; calibration queries use
two of them and test queries the other two, so the build never sees a test query's wording.
Unanswerable queries are consultations about services the knowledge base does not cover (a
lost bus card, a dog's rabies vaccine, a landlord keeping the deposit) and questions about expired
entries asked after they expired.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

__all__ = ["DemoKb", "demo_kb", "synthetic_entries"]

GJJ, RS, GA, ZJ, YB, JY, MZ, WJ = (
    "市住房公积金管理中心",
    "市人社局",
    "市公安局",
    "市住建局",
    "市医保局",
    "市教育局",
    "市民政局",
    "市卫健委",
)


@dataclass(frozen=True)
class _Topic:
    key: str
    department: str
    question: str
    answer: str
    situations: tuple[str, str, str, str]
    asks: tuple[str, ...]
    # (valid_from, valid_to, answer) per version, oldest first; empty: one open entry.
    versions: tuple[tuple[str, str, str], ...] = ()


# Pairs whose entries differ by one detail; the keys name the pairs in the queries' ``kind``.
CONFUSABLE = (
    ("sbk_first", "sbk_replace"),
    ("gjj_rent", "gjj_buy"),
    ("gjj_loan_first", "gjj_loan_second"),
    ("rent_subsidy", "buy_subsidy"),
    ("hukou_local", "hukou_nonlocal"),
    ("school_local", "school_nonlocal"),
    ("permit_first", "permit_renew"),
    ("medical_out", "medical_in"),
    ("ebike_new", "ebike_transfer"),
    ("license_renew", "license_lost"),
    ("maternity", "newborn"),
)

TOPICS: tuple[_Topic, ...] = (
    _Topic(
        "sbk_first",
        RS,
        "首次申领社会保障卡需要哪些材料？",
        "首次申领社会保障卡（社保卡）可携带本人有效身份证件到就近的社保卡服务网点或合作银行网点办理，也可通过“苏州人社”APP线上申领；制卡约7个工作日，首次申领免收工本费。",
        (
            "我刚来苏州上班，还从来没有办过社保卡",
            "孩子刚出生，想给他办第一张社保卡",
            "单位让我自己去申请社保卡，我以前一直没有",
            "我之前没有社保卡，现在是第一次办",
        ),
        ("要带什么东西", "去哪里办", "流程是怎样的"),
    ),
    _Topic(
        "sbk_replace",
        RS,
        "社会保障卡遗失或损坏后如何补办？",
        "社保卡遗失的，请先拨打12333或通过“苏州人社”APP办理临时挂失，再携带身份证到社保卡服务网点或合作银行网点申请补卡，补卡工本费20元；卡片损坏的可直接申请换卡。",
        (
            "我的社保卡前两天弄丢了",
            "社保卡被洗衣机洗坏了，刷不出来",
            "钱包被偷了，社保卡也在里面",
            "社保卡芯片坏了，医院刷不了",
        ),
        ("怎么再补一张", "重新办一张要多少钱", "去哪里补"),
    ),
    _Topic(
        "gjj_rent",
        GJJ,
        "租房可以提取住房公积金吗？如何办理租房提取？",
        "职工本人及配偶在苏州市区无自有住房且租赁住房自住的，可申请租房提取住房公积金，按月或按年提取，额度不超过实际房租；可通过“苏州公积金”APP办理，需提供租赁合同和无房情况说明。",
        (
            "我在园区租的房子，每个月房租好几千",
            "现在在外面租房子住，自己名下没有房子",
            "我和老婆一直租房住，没买房",
            "我是租房的，每个月交房租压力很大",
        ),
        ("公积金能不能取出来付房租", "怎么把公积金提出来交房租", "提公积金要什么手续"),
    ),
    _Topic(
        "gjj_buy",
        GJJ,
        "购买自住住房如何提取住房公积金？",
        "购买自住住房（新房或二手房）的职工，可在购房合同备案或不动产登记之日起两年内申请提取本人及配偶的住房公积金，需提供购房合同、购房发票或不动产权证书，可通过“苏州公积金”APP办理。",
        (
            "我刚在吴中区买了套二手房",
            "去年买了新房子，首付把积蓄都掏空了",
            "我们家刚买房，购房合同已经签了",
            "买了一套房子，正准备付房款",
        ),
        ("公积金能不能取出来", "怎么把公积金提出来用", "提公积金要什么材料"),
    ),
    _Topic(
        "gjj_loan_first",
        GJJ,
        "首套住房申请住房公积金贷款的额度是多少？",
        "缴存职工家庭首次申请住房公积金贷款购买首套住房的，最高贷款额度为单方缴存60万元、双方缴存120万元，首付比例不低于30%。",
        (
            "我们家第一次买房，名下没有任何房子",
            "买的是首套房，想用公积金贷款",
            "我和老公都是头一回买房子",
            "名下没房，也从来没贷过款",
        ),
        ("公积金最多能贷多少", "公积金贷款额度是多少", "能贷多少钱"),
    ),
    _Topic(
        "gjj_loan_second",
        GJJ,
        "购买第二套住房还能申请住房公积金贷款吗？",
        "缴存职工家庭已结清首次住房公积金贷款、购买第二套改善型住房的，可再次申请住房公积金贷款，首付比例不低于40%；第三次及以上不予贷款。",
        (
            "我们已经有一套房了，想再买一套改善一下",
            "上一笔公积金贷款刚还清，现在想换套大房子",
            "这是我们家的第二套房子",
            "以前已经用公积金贷款买过一次房",
        ),
        ("还能不能用公积金贷款", "公积金贷款还能贷吗", "首付要几成"),
    ),
    _Topic(
        "rent_subsidy",
        ZJ,
        "人才租房补贴的申请条件是什么？",
        "在苏州市区无自有住房、租房居住并在苏缴纳社保的全日制本科及以上学历人才，可申请人才租房补贴，本科每月800元、硕士每月1200元，最长发放36个月，通过“苏州人才”平台申请。",
        (
            "我是今年毕业的研究生，刚到苏州工作，在外面租房",
            "本科毕业来苏州上班，房子是租的",
            "我刚被引进到苏州，现在租房住",
            "硕士毕业在工业园区上班，自己租了个单间",
        ),
        ("有没有房租补贴可以领", "租房补贴怎么申请", "补贴标准是多少"),
    ),
    _Topic(
        "buy_subsidy",
        ZJ,
        "人才购房补贴的申请条件是什么？",
        "在苏州市区首次购买自住商品住房、在苏缴纳社保的全日制本科及以上学历人才，可在购房后一年内申请人才购房补贴，硕士3万元、博士5万元，一次性发放，通过“苏州人才”平台申请。",
        (
            "我是研究生学历，去年在苏州买了第一套房",
            "博士毕业来苏州工作，刚买了房子",
            "我是引进人才，今年头一回在苏州买房",
            "本科毕业在苏州工作三年了，刚买了新房",
        ),
        ("买房有没有补贴", "购房补贴怎么申请", "能补贴多少钱"),
    ),
    _Topic(
        "hukou_local",
        GA,
        "本市户籍居民在市区范围内迁移户口如何办理？",
        "苏州市户籍居民在市区范围内迁移户口（如购房后从姑苏区迁往吴中区），可凭不动产权证书和户口簿到迁入地派出所申请，一站式办理，无需回迁出地开具准迁证。",
        (
            "我是苏州本地户口，在吴中区买了新房",
            "户口在姑苏区，现在搬到相城区住了",
            "我是本地人，想把户口从老房子迁到新房子",
            "我们全家都是苏州户口，房子换到园区了",
        ),
        ("户口怎么迁过去", "迁户口要去哪里办", "要带什么材料"),
    ),
    _Topic(
        "hukou_nonlocal",
        GA,
        "外地户籍人员如何将户口迁入苏州？",
        "非苏州户籍人员可通过购房、人才引进、积分等途径申请落户苏州，由迁入地派出所受理，审批通过后开具准迁证，再到原籍派出所办理迁出。",
        (
            "我是安徽的，老家户口还在农村，在苏州工作五年了",
            "我户口在外地，在苏州买了房",
            "外地户口，研究生毕业后在苏州上班",
            "我们是从河南过来的，户口不在苏州",
        ),
        ("怎么把户口迁到苏州", "能不能在苏州落户", "落户要什么条件"),
    ),
    _Topic(
        "school_local",
        JY,
        "本市户籍适龄儿童如何办理小学入学登记？",
        "苏州户籍适龄儿童按照户籍和房产对应的施教区入学，家长在规定时间内通过“苏州市义务教育招生报名”平台登记，提供户口簿和房产证明。",
        (
            "我们是苏州本地户口，孩子今年满六岁",
            "孩子户口跟我们在苏州，明年上小学",
            "本地户籍的小孩马上要读一年级",
            "孩子是苏州户口，家里在学区有房",
        ),
        ("入学报名怎么弄", "小学怎么报名", "需要准备什么材料"),
    ),
    _Topic(
        "school_nonlocal",
        JY,
        "非本市户籍人员（新市民）子女如何申请积分入学？",
        "非苏州户籍的新市民子女，父母持有苏州居住证并按规定缴纳社保的，可通过流动人口积分管理系统申请积分入学，按积分高低统筹安排学位。",
        (
            "我们是外地户口，在苏州打工，孩子今年要上小学",
            "孩子户口在老家，我们在苏州租房",
            "我们夫妻俩都不是苏州户口，孩子想在这边读书",
            "我们是外地人，孩子明年读一年级",
        ),
        ("在苏州上学要怎么办", "怎么申请积分入学", "需要准备什么材料"),
    ),
    _Topic(
        "permit_first",
        GA,
        "首次申领居住证需要什么条件？",
        "非苏州户籍人员在苏州居住半年以上，有合法稳定就业、合法稳定住所或连续就读之一的，可凭身份证和居住登记信息到居住地派出所或社区警务室申领居住证。",
        (
            "我来苏州半年多了，还没有居住证",
            "刚来苏州工作，从来没办过居住证",
            "在苏州租房住了七八个月了，还没办证",
            "我新来苏州，身边人都说要办居住证",
        ),
        ("怎么办", "需要什么条件", "去哪里申请"),
    ),
    _Topic(
        "permit_renew",
        GA,
        "居住证到期后如何签注续期？",
        "居住证每年签注一次，期满前30日内持证人应办理签注，可通过“苏州公安微警务”线上签注或到社区警务室办理，逾期未签注的居住证失效。",
        (
            "我的居住证下个月就到期了",
            "居住证已经过期一个礼拜了",
            "居住证快满一年了",
            "居住证的有效期快到了",
        ),
        ("要怎么续", "去哪里签注", "续期要什么材料"),
    ),
    _Topic(
        "medical_out",
        YB,
        "苏州参保人员到外地就医如何办理异地就医备案？",
        "苏州医保参保人员到外地住院或长期在外地居住就医的，应先办理异地就医备案，可通过国家医保服务平台APP或“苏州医保”公众号线上办理，备案后在就医地定点医院直接结算。",
        (
            "我医保在苏州交的，下个月要去上海住院开刀",
            "爸妈的医保在苏州，他们要回老家长住",
            "我在苏州参保，想去北京看病",
            "老人是苏州医保，要到外地孩子那边住半年",
        ),
        ("报销要先办什么手续", "怎么备案", "能直接刷卡结算吗"),
    ),
    _Topic(
        "medical_in",
        YB,
        "外地参保人员在苏州就医如何直接结算？",
        "外地参保人员在苏州就医，需先在参保地医保部门办理异地就医备案，备案后在苏州的跨省联网定点医院可直接结算；未备案的先全额垫付，再回参保地报销。",
        (
            "我的医保是老家交的，现在在苏州要住院",
            "我在外地交的社保，来苏州这边看病",
            "老家的新农合，在苏州看病能不能用",
            "医保不是在苏州交的，人在苏州生病了",
        ),
        ("能不能直接报销", "怎么结算", "要先办什么手续"),
    ),
    _Topic(
        "flexible",
        RS,
        "灵活就业人员如何以个人身份缴纳社会保险？",
        "无雇工的个体工商户、未在用人单位参保的非全日制从业人员及其他灵活就业人员，可持身份证到社保经办机构或通过“江苏智慧人社”APP办理个人参保登记，按月缴纳养老和医疗保险。",
        (
            "我现在没有单位，自己在开网约车",
            "辞职了，在家做自由职业",
            "我是做个体的，没有公司帮我交社保",
            "我在外面打零工，没有固定单位",
        ),
        ("社保能不能自己交", "怎么自己缴社保", "个人交社保一个月多少钱"),
    ),
    _Topic(
        "unemployment",
        RS,
        "失业保险金如何申领？",
        "参保职工非因本人意愿中断就业、失业前累计缴纳失业保险满一年并已办理失业登记的，可通过“江苏智慧人社”APP申领失业保险金，按月发放。",
        (
            "公司裁员，我被辞退了",
            "单位倒闭了，我现在没工作",
            "上个月公司跟我解除劳动合同了",
            "合同到期，公司不跟我续签了",
        ),
        ("能不能领失业金", "失业金怎么领", "每个月能拿多少"),
    ),
    _Topic(
        "maternity",
        YB,
        "职工生育津贴如何申领？",
        "参加职工生育保险的女职工生育或流产后，由用人单位通过“苏州医保”平台申报生育津贴，按用人单位上年度职工月平均工资计发，发放到单位后由单位支付给职工。",
        (
            "我刚生完孩子，在休产假",
            "老婆上个月生了宝宝，她单位一直交生育保险",
            "我在单位上班，刚生完二胎",
            "听说休产假期间可以领一笔钱",
        ),
        ("产假工资怎么领", "生育津贴怎么申请", "能领多少钱"),
    ),
    _Topic(
        "newborn",
        YB,
        "新生儿如何参加城乡居民医疗保险？",
        "新生儿出生后可凭出生医学证明或户口簿，在出生后3个月内通过“苏州医保”APP或社区办理城乡居民医保参保登记，自出生之日起享受医保待遇。",
        (
            "宝宝刚出生一个月",
            "孩子刚生下来，还没上户口",
            "小孩出生两个月了",
            "家里刚添了个小宝宝",
        ),
        ("医保怎么给他办", "孩子的医保怎么交", "怎么参保"),
    ),
    _Topic(
        "ebike_new",
        GA,
        "新购电动自行车如何办理上牌登记？",
        "新购买的电动自行车须为符合国家标准并列入目录的车型，车主持身份证、购车发票和合格证到就近的电动自行车登记点办理登记上牌，也可通过“苏州公安微警务”预约。",
        (
            "我刚买了一辆新电动车",
            "新买的电瓶车还没有牌照",
            "刚在店里买了电动自行车",
            "电动车是新车，店里说要自己去上牌",
        ),
        ("去哪里上牌", "上牌要带什么", "怎么登记"),
    ),
    _Topic(
        "ebike_transfer",
        GA,
        "二手电动自行车如何办理过户？",
        "买卖、赠与二手电动自行车的，双方持身份证、原登记证书和车辆到电动自行车登记点办理转移登记（过户），原号牌可继续使用。",
        (
            "我从朋友那里买了一辆二手电动车",
            "电瓶车是别人转给我的，牌子上还是他的名字",
            "电动车是从别人手里买过来的旧车",
            "我把电动车卖给了邻居",
        ),
        ("要怎么过户", "过户去哪里办", "过户需要什么"),
    ),
    _Topic(
        "license_renew",
        GA,
        "机动车驾驶证有效期满如何换证？",
        "驾驶证有效期满前90日内，驾驶人应申请换证，可通过“交管12123”APP或到车管所、驾驶人体检换证点办理，需提交身体条件证明。",
        (
            "我的驾照快到期了",
            "驾驶证有效期还有两个月就满了",
            "驾照六年有效期到了",
            "驾照十年的有效期快满了",
        ),
        ("怎么换新的", "换证要体检吗", "去哪里换"),
    ),
    _Topic(
        "license_lost",
        GA,
        "机动车驾驶证遗失如何补领？",
        "驾驶证遗失的，驾驶人可通过“交管12123”APP申请补领，或携带身份证到车管所办理，补领后原驾驶证作废。",
        (
            "我的驾照弄丢了",
            "钱包丢了，驾驶证也在里面",
            "驾驶证怎么也找不到了",
            "驾照被人偷了",
        ),
        ("怎么补办", "补一个要多久", "去哪里补"),
    ),
    _Topic(
        "marriage",
        MZ,
        "办理结婚登记需要哪些材料？",
        "内地居民办理结婚登记，男女双方应共同到婚姻登记机关，提交本人户口簿、身份证和无配偶及与对方无直系血亲和三代以内旁系血亲关系的签字声明；一方持苏州居住证的可在苏州跨省通办。",
        (
            "我和女朋友准备去领证",
            "我们打算下个月结婚",
            "我和对象想去登记结婚",
            "马上要领结婚证了",
        ),
        ("要带什么证件", "去哪里领证", "需要准备哪些材料"),
    ),
    _Topic(
        "pension",
        RS,
        "职工退休后如何申领基本养老金？",
        "达到法定退休年龄且累计缴费满15年的职工，由用人单位或本人在退休前通过“江苏智慧人社”申报退休，审核通过后按月发放基本养老金。",
        (
            "我明年就到退休年龄了",
            "我下个月满60岁要退休了",
            "社保交了二十多年，快退休了",
            "我快退休了，单位说要去办手续",
        ),
        ("退休金怎么领", "怎么办理退休手续", "养老金每月能拿多少"),
    ),
    _Topic(
        "covid_arrival",
        WJ,
        "来苏返苏人员需要做核酸检测吗？",
        "",
        (
            "我下周从上海回苏州",
            "我从外地出差回苏州",
            "下个礼拜要从老家回苏州",
            "从北京坐高铁到苏州",
        ),
        ("到了要不要做核酸", "需要落地检吗", "要不要报备做检测"),
        (
            (
                "2022-02-15",
                "",
                "来苏返苏人员抵苏后须在24小时内和第3天各做一次核酸检测，并主动向所在社区报备。",
            ),
            (
                "2022-06-01",
                "",
                "自2022年6月1日起，来苏返苏人员须持48小时内核酸阴性证明，抵苏后24小时内完成一次落地检。",
            ),
            (
                "2022-12-08",
                "",
                "自2022年12月8日起，来苏返苏人员不再查验核酸阴性证明，不再开展落地检，无需报备。",
            ),
        ),
    ),
    _Topic(
        "covid_isolation",
        WJ,
        "密切接触者的隔离政策是怎样的？",
        "",
        (
            "我被通知是密接了",
            "社区说我是密切接触者",
            "同事阳了，我被判定为密接",
            "流调说我跟确诊病例轨迹重合",
        ),
        ("要隔离几天", "隔离怎么安排", "要集中隔离还是居家"),
        (
            ("2022-01-01", "", "密切接触者实行14天集中隔离医学观察加7天居家健康监测。"),
            ("2022-06-28", "", "按第九版防控方案，密切接触者实行7天集中隔离医学观察加3天居家健康监测。"),
            ("2022-11-11", "2023-01-07", "密切接触者实行5天集中隔离加3天居家隔离，符合条件的可居家隔离。"),
        ),
    ),
    _Topic(
        "covid_vaccine",
        WJ,
        "哪里可以接种新冠疫苗？",
        "全市各社区卫生服务中心设有新冠疫苗接种点，可通过“健康苏州掌上行”预约；60岁以上老人可在社区临时接种点免预约接种，加强针与前一剂间隔满3个月。",
        (
            "我家老人七十多了，还没打过新冠疫苗",
            "我想去打新冠疫苗的加强针",
            "新冠疫苗第三针一直没打",
            "想给爸妈约新冠疫苗",
        ),
        ("去哪里打", "怎么预约", "要不要预约"),
    ),
    _Topic(
        "skm_yellow",
        WJ,
        "苏康码变为黄码如何转绿？",
        "",
        (
            "我的苏康码突然变成黄码了",
            "苏康码变黄了，进不了小区",
            "我的健康码黄了",
            "刚才扫场所码，码就变黄了",
        ),
        ("怎么变回绿码", "怎么转绿", "要去哪里申诉"),
        (
            (
                "2021-06-01",
                "2022-12-31",
                "苏康码因核酸检测超期或行程原因变黄的，完成核酸检测且结果为阴性后，可在“苏康码”小程序申诉转码。",
            ),
        ),
    ),
    _Topic(
        "festival_subsidy",
        RS,
        "2022年春节期间留苏过年的外来务工人员有什么补贴？",
        "",
        (
            "我是外地来苏州打工的，今年春节不回老家了",
            "过年留在苏州不回去了",
            "春节就在苏州过，老家不回了",
            "今年过年不回家，在苏州上班",
        ),
        ("有没有补贴", "留苏过年有什么奖励", "有红包可以领吗"),
        (
            (
                "2022-01-10",
                "2022-02-28",
                "2022年春节期间留苏过年的外来务工人员，可领取500元留苏红包和免费流量包，由用人单位统一申报。",
            ),
        ),
    ),
)

# Consultations about services the knowledge base does not cover; several share its words.
UNANSWERABLE: tuple[tuple[str, str, str, str], ...] = (
    ("我的公交卡丢了", "公交卡里还有两百块钱，卡丢了", "苏州通卡找不到了", "公交卡弄丢了，里面有余额"),
    ("身份证丢了", "我的身份证被偷了", "身份证找不到了，下周要坐火车", "身份证弄丢了，着急用"),
    ("家里的狗要打狂犬疫苗", "被邻居家的狗咬了一口", "宠物猫要打疫苗", "孩子被猫抓伤了"),
    ("租的房子到期了，房东不退押金", "房东突然要涨房租", "租房合同没到期房东就赶人", "中介不退租房押金"),
    ("买的新房漏水，开发商不管", "新房交付面积缩水了", "买的房子迟迟不交房", "期房烂尾了"),
    ("外地车牌在苏州限不限行", "外地牌照的车能不能进古城", "外牌车早高峰能不能上高架", "苏E以外的车限行吗"),
    ("我想开一家奶茶店", "想在小区门口开个小超市", "准备开个早餐店", "想注册一个个人工作室"),
    ("孩子上幼儿园的保育费", "幼儿园收费太贵", "孩子要上托班", "私立幼儿园报名"),
    ("楼上装修太吵了", "隔壁工地晚上还在施工", "楼下商铺装修噪音很大", "小区里有人半夜装修"),
    ("燃气费怎么在网上交", "家里天然气欠费停了", "燃气表不走字了", "想给新房开通燃气"),
    ("护照过期了，要出国旅游", "想办一本护照去日本玩", "港澳通行证到期了", "孩子要办护照出国读书"),
    ("工作的时候手被机器压伤了", "上班路上被车撞了", "在工地上摔伤了", "下班路上出了车祸"),
    ("小区的物业费涨价了", "物业不给修电梯", "物业乱收停车费", "业委会换物业"),
    ("驾照扣了12分", "闯红灯被拍了", "违章停车被贴了罚单", "交通违法记录有异议"),
    ("老家的宅基地要确权", "农村老房子要翻建", "老家承包地被占了", "想把农村户口的地流转出去"),
    ("打完疫苗手臂肿了", "孩子打完预防针发烧", "打流感疫苗后头晕", "接种完乙肝疫苗起疹子"),
)
_UNANSWERABLE_ASKS = ("怎么办", "要怎么处理", "去哪里办", "找哪个部门", "需要什么材料", "能不能帮忙解决")

# Services of the filler entries: none is a topic above or an unanswerable one.
_FILLER_ITEMS = (
    ("犬类登记证", GA),
    ("食品经营许可证", "市市场监管局"),
    ("户外广告设置许可", "市城管局"),
    ("城市道路占用许可", "市城管局"),
    ("建筑垃圾运输证", "市城管局"),
    ("残疾人证", "市残联"),
    ("老年优待证", MZ),
    ("独生子女父母光荣证", WJ),
    ("导游证", "市文旅局"),
    ("渔业捕捞许可证", "市农业农村局"),
    ("排水许可证", "市水务局"),
    ("养老机构备案", MZ),
    ("民办学校办学许可证", JY),
    ("劳务派遣经营许可证", RS),
    ("特种设备使用登记", "市市场监管局"),
    ("献血证", WJ),
    ("房屋安全鉴定", ZJ),
    ("殡葬补贴", MZ),
)
_FILLER_ASKS = ("如何办理{}？", "办理{}需要哪些材料？", "{}的办理时限是多久？", "{}在哪里办理？")

_OPENERS = ("", "", "你好，", "您好，", "你好，我想问一下，", "麻烦问下，", "请问一下，", "喂，你好，")
_CLOSERS = ("", "", "", "？", "，谢谢", "，麻烦告诉我一下", "，急")
_DISTRICTS = ("姑苏区", "吴中区", "相城区", "吴江区", "虎丘区", "工业园区", "昆山", "常熟", "张家港", "太仓")
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙朱"


@dataclass
class DemoKb:
    """The demo knowledge base and its labelled queries.

    Attributes
    ----------
    entries : DataFrame
        ``id, question, answer, department, valid_from, valid_to, topic`` (dates as ISO strings,
        empty when open).
    calibration, test : DataFrame
        Queries ``id, title, text, asked_at, gold, kind``: ``gold`` is the entry valid at ``asked_at``
        (empty when the knowledge base has no answer); ``kind`` is ``colloquial``, ``confusable``,
        ``versioned``, ``unanswerable`` or ``expired``. The two sets use different situations.
    """

    entries: pd.DataFrame
    calibration: pd.DataFrame
    test: pd.DataFrame


def _entries(rng: random.Random) -> tuple[pd.DataFrame, dict[str, list[tuple[str, date, date | None]]]]:
    rows: list[dict[str, str]] = []
    windows: dict[str, list[tuple[str, date, date | None]]] = {}
    for topic in TOPICS:
        versions = topic.versions or (("", "", topic.answer),)
        for i, (start, end, answer) in enumerate(versions):
            entry_id = f"SZ{len(rows) + 1:04d}"
            rows.append(
                dict(
                    id=entry_id,
                    question=topic.question,
                    answer=answer,
                    department=topic.department,
                    valid_from=start,
                    valid_to=end,
                    topic=topic.key,
                )
            )
            # The effective window: a newer version of the same question supersedes this one.
            begin = date.fromisoformat(start) if start else date(2020, 1, 1)
            stop = date.fromisoformat(end) if end else None
            if i + 1 < len(versions):
                stop = date.fromisoformat(versions[i + 1][0]) - timedelta(days=1)
            windows.setdefault(topic.key, []).append((entry_id, begin, stop))
    for item, department in _FILLER_ITEMS:
        for ask in _FILLER_ASKS:
            answer = f"{item}由{department}受理，可通过“苏周到”APP或各级政务服务中心办理，材料齐全的{rng.choice((3, 5, 7, 10))}个工作日内办结。"
            rows.append(
                dict(
                    id=f"SZ{len(rows) + 1:04d}",
                    question=ask.format(item),
                    answer=answer,
                    department=department,
                    valid_from="",
                    valid_to="",
                    topic="filler",
                )
            )
    return pd.DataFrame(rows), windows


def _details(rng: random.Random) -> str:
    """Details callers add that say nothing about the demand: where they live, who they are."""
    parts = []
    if rng.random() < 0.3:
        parts.append(f"我住在{rng.choice(_DISTRICTS)}")
    if rng.random() < 0.15:
        parts.append(f"我姓{rng.choice(_SURNAMES)}，电话1{rng.randint(3, 9)}{rng.randint(0, 999_999_999):09d}")
    return "，".join(parts) + "，" if parts else ""


def _utterance(rng: random.Random, situation: str, ask: str) -> str:
    return f"{rng.choice(_OPENERS)}{_details(rng)}{situation}，{ask}{rng.choice(_CLOSERS)}"


def _moment(rng: random.Random, begin: date, stop: date | None) -> datetime:
    stop = stop or date(2023, 6, 30)
    day = begin + timedelta(days=rng.randint(0, max((stop - begin).days, 0)))
    return datetime(day.year, day.month, day.day, rng.randint(8, 20), rng.randint(0, 59))


def _queries(rng: random.Random, windows: dict[str, list[tuple[str, date, date | None]]], half: int) -> pd.DataFrame:
    confusable = {key for pair in CONFUSABLE for key in pair}
    rows: list[dict[str, object]] = []
    for topic in TOPICS:
        kind = "versioned" if topic.versions else "confusable" if topic.key in confusable else "colloquial"
        for situation in topic.situations[half::2]:
            for ask in rng.sample(topic.asks, 2):
                entry_id, begin, stop = rng.choice(windows[topic.key])
                asked = _moment(rng, max(begin, date(2021, 1, 1)), stop)
                rows.append(dict(text=_utterance(rng, situation, ask), asked_at=asked, gold=entry_id, kind=kind))
                last_stop = windows[topic.key][-1][2]
                if last_stop is not None:  # the same question once the policy expired
                    asked = _moment(rng, last_stop + timedelta(days=1), None)
                    rows.append(dict(text=_utterance(rng, situation, ask), asked_at=asked, gold="", kind="expired"))
    for situations in UNANSWERABLE:
        for situation in situations[half::2]:
            for ask in rng.sample(_UNANSWERABLE_ASKS, 2):
                asked = _moment(rng, date(2022, 1, 1), None)
                rows.append(dict(text=_utterance(rng, situation, ask), asked_at=asked, gold="", kind="unanswerable"))
    frame = pd.DataFrame(rows)
    frame.insert(0, "id", [f"Q{half}-{i + 1:04d}" for i in range(len(frame))])
    frame.insert(1, "title", "")
    frame["asked_at"] = frame["asked_at"].map(lambda t: t.strftime("%Y-%m-%d %H:%M"))
    return frame


def demo_kb(seed: int = 0) -> DemoKb:
    """Return the demo knowledge base with its calibration and test queries (same seed, same data)."""
    rng = random.Random(seed)
    entries, windows = _entries(rng)
    return DemoKb(entries=entries, calibration=_queries(rng, windows, 0), test=_queries(rng, windows, 1))


_SCALE_AUDIENCES = ("", "退役军人", "残疾人", "老年人", "在校学生", "外籍人员", "新市民", "企业", "个体工商户", "农民")
_SCALE_ACTIONS = (
    "如何办理{}？",
    "办理{}需要哪些材料？",
    "{}的办理时限是多久？",
    "{}在哪里办理？",
    "{}是否收费？",
    "{}可以网上办理吗？",
    "{}的申请条件是什么？",
    "{}到期后如何延续？",
    "{}遗失后如何补办？",
    "{}信息变更如何办理？",
)
_SCALE_OBJECTS = (
    "营业执照",
    "税务登记",
    "社保登记",
    "医保登记",
    "公积金缴存登记",
    "不动产抵押登记",
    "建设工程规划许可",
    "施工许可",
    "消防验收",
    "环评审批",
    "排污许可",
    "取水许可",
    "林木采伐许可",
    "野生动物驯养许可",
    "药品经营许可",
    "医疗器械经营备案",
    "医师执业注册",
    "护士执业注册",
    "教师资格认定",
    "职业技能等级认定",
    "人力资源服务许可",
    "道路运输经营许可",
    "船舶登记",
    "出租车驾驶员从业资格",
    "网约车运输证",
    "危险化学品经营许可",
    "烟草专卖零售许可",
    "酒类经营许可",
    "娱乐场所经营许可",
    "印刷经营许可",
    "出版物经营许可",
    "文物修缮审批",
    "宗教活动场所登记",
    "社会团体登记",
    "民办非企业单位登记",
    "慈善组织认定",
    "公证",
    "法律援助",
    "司法鉴定",
    "人民调解",
    "价格认定",
    "计量器具检定",
    "商标质押登记",
    "专利资助",
    "科技企业认定",
    "高新技术企业认定",
    "稳岗补贴",
    "创业补贴",
    "就业见习补贴",
    "职业培训补贴",
)
_SCALE_DETAILS = (
    "2021年版",
    "2022年版",
    "2023年版",
    "新设立",
    "跨区迁移",
    "分支机构",
    "个人独资",
    "合伙",
    "有限公司",
    "外商投资",
    "集体所有",
    "国有",
    "涉密",
    "临时",
    "长期",
    "加急",
    "线上",
    "窗口",
    "自助终端",
    "邮寄",
)


def synthetic_entries(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` generated entries (``id, question, answer, department``) for scale benchmarks.

    Questions combine a district, an audience, a service, a detail and an action (about 2 M
    combinations); answers are templated. They are not meant to be read, only to give an index
    the size, vocabulary and term distribution of a large knowledge base.
    """
    rng = random.Random(seed)
    ids, questions, answers, departments = [], [], [], []
    for i in range(n):
        obj = rng.choice(_SCALE_OBJECTS)
        detail = rng.choice(_SCALE_DETAILS)
        district = rng.choice(_DISTRICTS)
        question = district + rng.choice(_SCALE_AUDIENCES) + rng.choice(_SCALE_ACTIONS).format(detail + obj)
        ids.append(f"G{i:07d}")
        questions.append(question)
        answers.append(
            f"{district}{detail}{obj}由区政务服务中心受理，材料齐全的{rng.randint(1, 20)}个工作日内办结，"
            f"咨询请拨打12345，编号{rng.randint(0, 99_999):05d}。"
        )
        departments.append(f"{district}行政审批局")
    return pd.DataFrame({"id": ids, "question": questions, "answer": answers, "department": departments})
