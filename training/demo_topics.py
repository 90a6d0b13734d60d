"""The topics the demo corpus is written from: Suzhou departments and what citizens ask them.

Each topic is data: a department, whether it is COVID-related, how often it comes up,
how often it is a consultation, and phrase pools that :mod:`training.demo_corpus` combines
with places, times and personal details. Slots in braces are filled per ticket.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["CHANNELS", "CONFUSABLE", "DISTRICTS", "EMERGING", "TOPICS", "VAGUE", "Topic"]


@dataclass(frozen=True)
class Topic:
    key: str
    department: str
    weight: float
    titles: tuple[str, ...]
    facts: tuple[str, ...]
    questions: tuple[str, ...]
    demands: tuple[str, ...]
    covid: bool = False
    consult_rate: float = 0.12
    details: tuple[str, ...] = field(default=())


HOUSING = "市住房和城乡建设局"
URBAN = "市城市管理局"
ENV = "市生态环境局"
POLICE = "市公安局"
TRANSPORT = "市交通运输局"
HRSS = "市人力资源和社会保障局"
HEALTH = "市卫生健康委员会"
EDU = "市教育局"
MARKET = "市市场监督管理局"
FUND = "市住房公积金管理中心"
MEDICAL = "市医疗保障局"
WATER = "市水务局"
DATA = "市大数据管理局"
LOCAL = "属地政府（区/县级市）"

# Pairs of departments whose work overlaps; real routing mixes them up and so does the corpus.
CONFUSABLE = {
    HOUSING: (URBAN, LOCAL),
    URBAN: (HOUSING, ENV),
    ENV: (URBAN, WATER),
    POLICE: (URBAN, TRANSPORT),
    TRANSPORT: (POLICE, URBAN),
    HRSS: (MEDICAL, FUND),
    HEALTH: (MEDICAL, LOCAL),
    EDU: (LOCAL, MARKET),
    MARKET: (EDU, HEALTH),
    FUND: (HOUSING, HRSS),
    MEDICAL: (HRSS, HEALTH),
    WATER: (HOUSING, ENV),
    DATA: (HEALTH, LOCAL),
    LOCAL: (HEALTH, HOUSING),
}

# Vague tickets: wording that fits several departments; the label is drawn among them,
# so these are the tickets a good router is unsure about.
VAGUE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("晚上外面太吵了，影响休息", (POLICE, URBAN, ENV)),
    ("小区门口一直很吵，吵得睡不着", (POLICE, URBAN, ENV)),
    ("小区环境脏乱差，没人管理", (URBAN, HOUSING, LOCAL)),
    ("路边乱七八糟，到处都是垃圾和杂物", (URBAN, TRANSPORT, LOCAL)),
    ("收费太不合理了，也不给说明", (HOUSING, MARKET, TRANSPORT)),
    ("办个事跑了好几趟都没办成，窗口互相推诿", (HRSS, POLICE, FUND, MEDICAL)),
    ("有股怪味，不知道是哪里来的", (ENV, WATER, URBAN)),
    ("钱交了事情没办，退钱也不给退", (MARKET, EDU, HOUSING)),
    ("下水管道老是出问题", (WATER, HOUSING)),
    ("报销材料交了很久没有结果", (MEDICAL, HRSS, FUND)),
)

DISTRICTS: dict[str, tuple[str, ...]] = {
    "姑苏区": ("平江街道", "沧浪街道", "金阊街道", "双塔街道", "虎丘街道", "白洋湾街道", "吴门桥街道"),
    "苏州工业园区": ("娄葑街道", "斜塘街道", "唯亭街道", "胜浦街道", "金鸡湖街道"),
    "吴中区": ("长桥街道", "郭巷街道", "横泾街道", "越溪街道", "木渎镇", "甪直镇"),
    "相城区": ("元和街道", "黄桥街道", "北桥街道", "渭塘镇", "黄埭镇"),
    "吴江区": ("松陵街道", "盛泽镇", "同里镇", "震泽镇", "平望镇"),
    "虎丘区": ("狮山街道", "枫桥街道", "浒墅关镇", "通安镇", "横塘街道"),
    "昆山市": ("玉山镇", "花桥镇", "周庄镇", "千灯镇", "陆家镇"),
    "常熟市": ("虞山街道", "琴川街道", "梅李镇", "海虞镇"),
    "张家港市": ("杨舍镇", "金港街道", "锦丰镇", "塘桥镇"),
    "太仓市": ("城厢镇", "浏河镇", "沙溪镇", "璜泾镇"),
}
# Rough shares of tickets by district (population-weighted).
DISTRICT_WEIGHTS = {
    "姑苏区": 11,
    "苏州工业园区": 14,
    "吴中区": 13,
    "相城区": 9,
    "吴江区": 11,
    "虎丘区": 9,
    "昆山市": 15,
    "常熟市": 8,
    "张家港市": 6,
    "太仓市": 4,
}
CHANNELS = {"电话": 70, "寒山闻钟": 8, "微信": 9, "网站": 5, "苏周到APP": 6, "市长信箱": 2}

TOPICS: tuple[Topic, ...] = (
    # 住建: property management, housing quality, lifts, maintenance funds
    Topic(
        "property_fee",
        HOUSING,
        5,
        ("{compound}物业乱收费", "物业费上涨不合理", "{compound}物业服务差"),
        (
            "{compound}物业今年突然把物业费从每平方{fee}元涨到{fee2}元，没有开业主大会",
            "我们小区物业公司服务很差，收了物业费却不打扫卫生，楼道垃圾堆了{days}天",
            "物业公司强制要求业主缴纳{amount}元的装修保证金",
        ),
        (
            "请问物业费上涨需要经过什么程序？",
            "想咨询一下物业费的收费标准在哪里可以查到？",
            "请问业主可以自行更换物业公司吗？",
        ),
        ("请住建部门核查物业收费是否合规。", "要求物业公司退还多收的费用。", "希望主管部门督促物业整改。"),
    ),
    Topic(
        "elevator",
        HOUSING,
        3,
        ("{compound}电梯经常故障", "老小区加装电梯", "电梯困人无人处理"),
        (
            "{compound}{building}号楼电梯这个月已经坏了{n}次，老人上下楼很困难",
            "电梯维修后还是经常停在半层，物业说没钱维修",
            "我们老小区想加装电梯，一楼住户不同意",
        ),
        ("请问老小区加装电梯有什么补贴政策？", "请问加装电梯需要多少比例的业主同意？"),
        ("请相关部门督促物业尽快维修电梯。", "希望尽快安排特种设备检测。"),
    ),
    Topic(
        "house_quality",
        HOUSING,
        3,
        ("新房墙体开裂漏水", "{compound}交付房屋质量问题", "开发商延期交房"),
        (
            "我在{compound}买的新房刚交付就发现墙体开裂，卫生间漏水到楼下",
            "开发商合同约定{month}月交房，现在已经延期{n}个月了",
            "房子外墙瓷砖脱落，差点砸到行人",
        ),
        ("请问房屋质量保修期是多久？", "请问开发商延期交房应该怎么维权？"),
        ("要求开发商承担维修责任并赔偿损失。", "请住建局介入调查开发商违约行为。"),
    ),
    Topic(
        "maintenance_fund",
        HOUSING,
        1.5,
        ("维修基金使用问题", "申请使用专项维修资金"),
        ("小区屋顶漏水需要使用维修基金，物业说申请流程很复杂", "维修基金账户的钱被用在了不该用的地方"),
        ("请问专项维修资金怎么申请使用？", "请问维修基金余额在哪里可以查询？"),
        ("请主管部门公开维修基金使用明细。",),
    ),
    # 城管: illegal building, street vending, construction waste, noise of building sites
    Topic(
        "illegal_building",
        URBAN,
        4,
        ("{compound}违章搭建", "楼顶私自搭建阳光房", "一楼住户圈占绿地"),
        (
            "{compound}{building}幢顶楼住户在楼顶违章搭建阳光房，影响楼下住户",
            "一楼住户私自把公共绿地圈起来做院子，还砌了围墙",
            "有人在小区内违建车库用于出租",
        ),
        ("请问违章搭建应该向哪个部门举报？",),
        ("请城管部门尽快拆除违章建筑。", "要求依法处理违建行为。"),
    ),
    Topic(
        "street_vending",
        URBAN,
        3,
        ("{road}占道经营", "夜市摊贩占用人行道", "流动摊贩油烟扰民"),
        (
            "{road}晚上有很多流动摊贩占道经营，人行道完全被堵住",
            "{compound}门口的烧烤摊每天营业到凌晨，油烟很大",
            "菜场门口商户把货架摆到了马路上",
        ),
        ("请问在小区门口摆摊需要办理什么手续？",),
        ("请城管加强巡查，取缔占道经营。", "希望相关部门规范管理。"),
    ),
    Topic(
        "muck_truck",
        URBAN,
        2,
        ("渣土车抛洒滴漏", "{road}渣土车夜间运输"),
        ("{road}每天晚上有大量渣土车经过，沿路抛洒泥土，扬尘很大", "渣土车车厢没有覆盖，路面全是泥"),
        ("请问渣土车运输有规定的时间段吗？",),
        ("请城管部门查处违规渣土车。",),
    ),
    Topic(
        "garbage",
        URBAN,
        2.5,
        ("垃圾分类投放点问题", "{compound}垃圾清运不及时"),
        ("{compound}的垃圾桶已经{days}天没有清运，气味很大，夏天招苍蝇", "垃圾分类投放点设在我家窗户下面，每天很臭"),
        ("请问垃圾分类投放时间是怎么规定的？", "请问大件垃圾应该怎么处理？"),
        ("请尽快安排清运并调整投放点位置。",),
    ),
    # 生态环境: pollution, smell, factory noise
    Topic(
        "factory_pollution",
        ENV,
        3,
        ("{street}工厂排放异味", "化工厂偷排废气", "河道被污染"),
        (
            "{street}附近的工厂每天晚上排放刺鼻气味，附近居民不敢开窗",
            "工厂向河里偷排污水，河水发黑发臭，鱼都死了",
            "印染厂烟囱冒黑烟",
        ),
        ("请问企业排污的标准在哪里可以查询？",),
        ("请环保部门夜间突击检查。", "要求对偷排企业依法处罚。"),
    ),
    Topic(
        "factory_noise",
        ENV,
        2,
        ("工厂噪音扰民", "{street}企业夜间生产噪声"),
        ("{street}的一家企业夜间生产，机器轰鸣声很大，影响周边居民休息", "厂区冷却塔噪音24小时不停"),
        ("请问工业噪声夜间标准是多少分贝？",),
        ("请生态环境部门进行噪声监测并处理。",),
    ),
    Topic(
        "restaurant_fumes",
        ENV,
        1.5,
        ("餐饮油烟扰民", "饭店油烟直排"),
        ("楼下新开的饭店油烟直接排到住宅楼，家里全是油烟味", "餐馆没有安装油烟净化器"),
        ("请问餐饮店油烟排放有什么规定？",),
        ("请相关部门督促安装净化设施。",),
    ),
    # 公安: neighbours' noise, e-bike theft, household registration, traffic violations
    Topic(
        "neighbour_noise",
        POLICE,
        3,
        ("楼上邻居噪音扰民", "{compound}深夜噪音", "广场舞音响太吵"),
        (
            "楼上住户每天深夜拖动家具、大声喧哗，多次沟通无果",
            "小区广场舞音响声音太大，每天晚上跳到十点",
            "隔壁租户经常半夜聚会喝酒吵闹",
        ),
        ("请问夜间噪音扰民可以报警吗？",),
        ("请派出所出警处理。", "希望警方上门劝导。"),
    ),
    Topic(
        "hukou",
        POLICE,
        2.5,
        ("户口迁移咨询", "落户政策咨询", "身份证补办"),
        ("我是外地户籍，在苏州工作{n}年，想把户口迁到苏州", "孩子出生后需要办理落户", "身份证丢失了需要补办"),
        ("请问积分落户需要哪些材料？", "请问新生儿落户在哪里办理？", "请问身份证异地补办需要多久？"),
        ("派出所办事窗口态度很差，要求改进。",),
        consult_rate=0.7,
    ),
    Topic(
        "ebike_theft",
        POLICE,
        1.5,
        ("电动车被盗", "{compound}电瓶被偷"),
        ("我停在{compound}楼下的电动车昨晚被盗，小区监控坏了", "最近小区连续发生电瓶被偷的情况"),
        ("请问电动车被盗应该去哪里报案？",),
        ("请警方调查并加强巡逻。",),
    ),
    # 交通运输: buses, taxis, roads
    Topic(
        "bus",
        TRANSPORT,
        3,
        ("{bus}路公交车问题", "公交线路调整建议", "公交车司机态度差"),
        (
            "{bus}路公交车经常晚点，等了{n}十分钟都不来",
            "{bus}路公交司机开车很猛，老人差点摔倒",
            "新开的小区附近没有公交站",
        ),
        ("请问{bus}路公交的首末班时间是几点？", "请问老年卡乘坐公交有什么优惠？"),
        ("建议增加{bus}路公交的发车班次。", "请交通部门处理该司机。"),
    ),
    Topic(
        "taxi",
        TRANSPORT,
        2,
        ("出租车拒载绕路", "网约车乱收费"),
        ("在火车站打车，出租车司机拒载，还要求不打表一口价", "网约车司机故意绕路，多收了{amount}元"),
        ("请问出租车投诉需要提供哪些信息？",),
        ("请交通运输部门查处并退还车费。",),
    ),
    Topic(
        "road_damage",
        TRANSPORT,
        1.5,
        ("{road}路面破损", "道路坑洼积水"),
        ("{road}路面坑洼很多，下雨天积水，电动车经过很危险", "{road}的井盖松动，车辆经过很响"),
        ("请问道路维修归哪个部门管？",),
        ("请尽快修复路面。",),
    ),
    # 人社: wages, social insurance, contracts, talent subsidies
    Topic(
        "unpaid_wages",
        HRSS,
        4,
        ("{company}拖欠工资", "公司不发工资", "工地拖欠农民工工资"),
        (
            "我在{company}工作，公司已经拖欠{n}个月工资，共计{amount}元",
            "工地老板拖欠我们{n}个工人的工资，一直找借口不给",
            "离职后公司不结算最后一个月的工资",
        ),
        ("请问被拖欠工资应该怎么申请劳动仲裁？",),
        ("请劳动监察部门帮助讨薪。", "要求公司立即支付拖欠的工资。"),
    ),
    Topic(
        "social_insurance",
        HRSS,
        3,
        ("社保缴纳问题", "社保卡办理咨询", "退休金领取"),
        ("公司没有给我缴纳社保", "社保卡丢失需要补办", "快到退休年龄了，不知道退休手续怎么办"),
        ("请问灵活就业人员怎么缴纳社保？", "请问社保卡补办需要多久？", "请问退休金怎么计算？"),
        ("要求公司为员工补缴社保。",),
        consult_rate=0.6,
    ),
    Topic(
        "talent_subsidy",
        HRSS,
        1.5,
        ("人才补贴申请", "人才补贴迟迟未发放"),
        ("我是应届硕士毕业生，{month}月份申请了人才补贴，到现在还没发放", "人才补贴申请系统一直提交不了"),
        ("请问人才补贴的申请条件是什么？", "请问人才补贴什么时候发放？"),
        ("希望尽快审核发放补贴。",),
        consult_rate=0.6,
    ),
    # 卫健: hospitals, non-COVID look-alikes (rabies vaccine, flu, health certificates)
    Topic(
        "hospital",
        HEALTH,
        3,
        ("{hospital}服务态度差", "医院挂号难", "医生乱开检查"),
        (
            "在{hospital}看病排队{n}个小时，医生看了两分钟就让做一堆检查",
            "{hospital}护士态度恶劣",
            "医院网上挂号一号难求",
        ),
        ("请问{hospital}周末有专家门诊吗？",),
        ("请卫健委调查处理。", "要求医院改进服务。"),
    ),
    Topic(
        "rabies_vaccine",
        HEALTH,
        1.2,
        ("狂犬疫苗接种", "社区医院没有狂犬疫苗"),
        ("被狗咬伤后去社区卫生服务中心打狂犬疫苗，说没有库存", "孩子被猫抓伤，想打狂犬疫苗"),
        ("请问哪里可以接种狂犬疫苗？", "请问狂犬疫苗需要打几针？"),
        ("希望保障疫苗供应。",),
        consult_rate=0.6,
    ),
    Topic(
        "flu",
        HEALTH,
        1,
        ("流感高发", "孩子发烧去医院", "流感疫苗预约"),
        ("最近孩子学校很多学生得了流感，发烧咳嗽", "孩子发烧去{hospital}儿科排队排到半夜"),
        ("请问流感疫苗在哪里可以预约？", "请问儿童医院夜间急诊怎么挂号？"),
        ("建议增加儿科夜间门诊医生。",),
        consult_rate=0.5,
    ),
    Topic(
        "health_certificate",
        HEALTH,
        0.8,
        ("健康证办理", "健康证体检"),
        ("开餐馆需要给员工办健康证", "健康证过期了需要重新体检"),
        ("请问健康证在哪里办理？", "请问健康证办理需要多久？"),
        ("体检中心排队太久，建议增加窗口。",),
        consult_rate=0.8,
    ),
    # 教育
    Topic(
        "school_admission",
        EDU,
        3,
        ("积分入学咨询", "{school}入学问题", "学区划分不合理"),
        ("孩子今年上小学，我们是新苏州人，积分不够", "{compound}被划到很远的{school}，离家{n}公里"),
        ("请问积分入学的分数线是多少？", "请问非本地户籍孩子入学需要什么材料？"),
        ("要求教育局重新考虑学区划分。",),
        consult_rate=0.55,
    ),
    Topic(
        "training_institution",
        EDU,
        2,
        ("培训机构跑路", "校外培训机构退费难"),
        ("孩子报名的{company}培训机构突然关门，预交了{amount}元学费退不了", "在职老师在校外培训机构有偿补课"),
        ("请问预付的培训费怎么维权？",),
        ("请教育局督促机构退费。", "请严查在职教师有偿补课。"),
    ),
    Topic(
        "school_canteen",
        EDU,
        1.2,
        ("{school}食堂问题", "学校收费不合理"),
        ("{school}食堂饭菜质量很差，孩子经常吃不饱", "学校强制统一订购校服和教辅资料"),
        ("请问学校午餐费的收费标准是多少？",),
        ("请教育局检查学校食堂。",),
    ),
    # 市场监管: consumer complaints, prepaid cards, food safety
    Topic(
        "prepaid_card",
        MARKET,
        3,
        ("{company}预付卡无法退款", "健身房跑路", "理发店办卡后关门"),
        ("在{company}办了{amount}元的会员卡，现在店铺关门了联系不上老板", "健身房突然停业，预付的年卡无法使用"),
        ("请问预付卡消费纠纷怎么维权？",),
        ("请市场监管部门帮助追回费用。",),
    ),
    Topic(
        "food_safety",
        MARKET,
        2.5,
        ("{company}食品过期", "外卖吃出异物", "超市销售过期食品"),
        ("在{company}超市买的牛奶已经过期了", "点的外卖里吃出了头发和虫子，商家拒绝退款", "餐馆后厨卫生很差"),
        ("请问买到过期食品可以要求几倍赔偿？",),
        ("请市场监管部门查处。", "要求商家赔偿。"),
    ),
    Topic(
        "price",
        MARKET,
        1.5,
        ("商家虚假宣传", "价格欺诈"),
        ("商场标价和结账价格不一样，多收了钱", "商家宣传全场五折，实际只有少数商品打折"),
        ("请问价格欺诈应该向哪里投诉？",),
        ("请对商家的价格欺诈行为进行处罚。",),
    ),
    # 公积金
    Topic(
        "housing_fund",
        FUND,
        3,
        ("公积金提取咨询", "公积金贷款问题", "公司未缴公积金"),
        ("想提取公积金用于支付房租", "用公积金贷款买二手房，银行说额度不够", "公司一直没有给员工缴纳住房公积金"),
        ("请问租房提取公积金需要什么材料？", "请问公积金贷款最高额度是多少？", "请问离职后公积金怎么转移？"),
        ("要求公司补缴住房公积金。",),
        consult_rate=0.65,
    ),
    # 医保
    Topic(
        "medical_insurance",
        MEDICAL,
        3,
        ("医保报销问题", "异地就医备案", "医保卡无法使用"),
        ("在外地住院回来报销，医保说材料不全", "父母在老家，想办理异地就医备案", "药店刷医保卡一直显示失败"),
        ("请问异地就医备案怎么办理？", "请问门诊费用医保能报销多少？"),
        ("希望简化报销流程。",),
        consult_rate=0.6,
    ),
    # 水务
    Topic(
        "water_supply",
        WATER,
        2.5,
        ("{compound}水压低", "自来水发黄", "水管爆裂"),
        (
            "{compound}高层住户水压很低，早晚用水高峰根本没水",
            "家里自来水发黄有异味",
            "{road}路边的水管爆裂，水流了一地",
        ),
        ("请问自来水水质检测报告在哪里查？",),
        ("请水务部门尽快检修。",),
    ),
    Topic(
        "drainage",
        WATER,
        1.5,
        ("小区积水", "下水道堵塞"),
        ("每次下大雨{compound}门口就积水，深的地方到膝盖", "下水道堵塞，污水从窨井冒出来"),
        ("请问雨污分流改造什么时候开始？",),
        ("请尽快疏通排水管道。",),
    ),
    # COVID, 2022-style: testing, health codes, quarantine, lockdown supplies, vaccines
    Topic(
        "pcr_test",
        HEALTH,
        7,
        ("核酸检测点排队", "核酸结果迟迟未出", "核酸检测点设置"),
        (
            "{street}的核酸检测点排队{n}个小时，只开了一个窗口",
            "前天做的核酸检测结果到现在还没有出来，上班进不了园区",
            "附近的核酸采样点晚上{hour}点就关门了，上班族根本来不及",
        ),
        (
            "请问{street}附近哪里有24小时核酸采样点？",
            "请问核酸检测结果一般多久能出？",
            "请问外地来苏需要提供几天内的核酸证明？",
        ),
        ("建议增加采样窗口和采样时间。", "请尽快出具检测结果。"),
        covid=True,
        consult_rate=0.4,
    ),
    Topic(
        "health_code",
        DATA,
        6,
        ("苏康码变黄码", "健康码弹窗", "行程卡带星号"),
        (
            "我的苏康码突然变成黄码，我最近没有去过中高风险地区",
            "苏康码一直弹窗，要求上传核酸证明，但是我已经做过了",
            "行程卡显示去过外地，其实只是高速路过",
        ),
        ("请问苏康码黄码怎么转绿？", "请问苏康码弹窗怎么解除？", "请问场所码怎么申请？"),
        ("请尽快核实并恢复我的绿码。",),
        covid=True,
        consult_rate=0.45,
    ),
    Topic(
        "quarantine",
        LOCAL,
        5,
        ("居家隔离问题", "集中隔离费用", "密接隔离"),
        (
            "我被判定为密接，要求集中隔离，但家里有老人无人照顾",
            "集中隔离酒店的条件很差，饭菜是冷的",
            "居家隔离期间社区门上装了门磁，快递放不进来",
        ),
        ("请问从外地返乡需要隔离几天？", "请问居家隔离期间可以外出做核酸吗？", "请问返乡报备在哪里填写？"),
        ("请社区帮助解决隔离期间的实际困难。",),
        covid=True,
        consult_rate=0.4,
    ),
    Topic(
        "lockdown_supplies",
        LOCAL,
        4,
        ("封控小区物资问题", "{compound}封控期间买菜难", "管控区就医难"),
        (
            "{compound}被划为封控区已经{days}天，团购的菜送不进来",
            "封控区老人需要定期拿药，社区一直没人回复",
            "管控区内孕妇需要产检，出不去",
        ),
        ("请问封控区什么时候可以解封？", "请问防范区居民可以出小区吗？"),
        ("请尽快保障封控区居民生活物资。", "请开通就医绿色通道。"),
        covid=True,
        consult_rate=0.3,
    ),
    Topic(
        "covid_vaccine",
        HEALTH,
        2.5,
        ("新冠疫苗接种咨询", "加强针预约"),
        ("想给家里老人预约新冠疫苗加强针", "社区通知接种新冠疫苗，但我有基础病"),
        ("请问新冠疫苗加强针在哪里预约？", "请问有基础病可以接种新冠疫苗吗？"),
        ("接种点排队太久，建议增加接种点。",),
        covid=True,
        consult_rate=0.6,
    ),
    Topic(
        "covid_work",
        LOCAL,
        2,
        ("复工复产证明", "企业复工申请", "疫情期间员工返岗"),
        ("我们公司在{street}，想申请复工，不知道需要什么材料", "疫情期间员工被要求每天做抗原检测并上传"),
        ("请问企业复工复产需要办理什么手续？", "请问返岗员工需要提供抗原检测结果吗？"),
        ("请简化企业复工审批流程。",),
        covid=True,
        consult_rate=0.5,
    ),
)


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
    profile: tuple[float, ...]  # extra tickets per week from start_week on, as a share of a week's base volume


EMERGING: tuple[Emerging, ...] = (
    Emerging(
        "site_noise",
        "郭巷街道工地夜间施工噪音",
        URBAN,
        False,
        "吴中区",
        "郭巷街道",
        "尹山湖地块工地",
        ("工地", "夜间施工", "噪音"),
        ("尹山湖地块工地夜间施工噪音扰民", "郭巷工地半夜施工", "工地夜间施工太吵"),
        (
            "郭巷街道尹山湖地块的工地每天晚上施工到凌晨两三点，打桩机声音很大，小孩根本睡不着",
            "尹山湖附近工地夜间违规施工，渣土车进进出出，噪音扰民严重，已经持续{days}天",
            "我们住在尹山湖旁边，对面工地半夜还在浇筑混凝土，噪音太大了，有没有夜间施工许可？",
        ),
        start_week=3,
        profile=(0.02, 0.06, 0.09, 0.07, 0.05, 0.03, 0.02, 0.01, 0.01),
    ),
    Emerging(
        "parking_bundle",
        "开发商捆绑销售车位",
        HOUSING,
        False,
        "相城区",
        "元和街道",
        "御湖澜庭",
        ("开发商", "车位", "捆绑"),
        ("御湖澜庭开发商强制捆绑销售车位", "买房必须买车位", "开发商捆绑销售地下车位"),
        (
            "相城区御湖澜庭的开发商要求买房必须同时买一个车位，车位价格{amount}元，不买就不给网签",
            "御湖澜庭售楼处说车位和房子捆绑销售，这合法吗？",
            "开发商不买车位就不让交房，强制捆绑销售车位，严重侵害购房者权益",
        ),
        start_week=5,
        profile=(0.03, 0.07, 0.08, 0.06, 0.04, 0.02, 0.02),
    ),
    Emerging(
        "code_outage",
        "苏康码无法显示",
        DATA,
        True,
        "苏州工业园区",
        "斜塘街道",
        "苏康码",
        ("苏康码", "打不开", "扫码"),
        ("苏康码打不开", "苏康码一直转圈无法显示", "苏康码崩了进不了地铁"),
        (
            "早上上班高峰苏康码一直打不开，地铁站扫码进不去，排了很长的队",
            "苏康码页面一直转圈，显示系统繁忙，商场和小区都进不去",
            "苏康码无法显示，公司门口不让进，请尽快修复系统",
        ),
        start_week=7,
        profile=(0.14, 0.03, 0.01),
    ),
    Emerging(
        "water_outage",
        "吴江区大面积停水",
        WATER,
        False,
        "吴江区",
        "松陵街道",
        "松陵城区",
        ("停水", "没水", "自来水"),
        ("松陵街道停水", "吴江停水没有通知", "家里停水一整天"),
        (
            "松陵街道从昨天早上开始停水，事先没有任何通知，到现在还没有来水",
            "吴江城区大面积停水，小区里老人孩子没水用，什么时候恢复供水？",
            "停水{days}天了，物业说是自来水管网维修，请问什么时候来水",
        ),
        start_week=9,
        profile=(0.08, 0.04, 0.01),
    ),
)
