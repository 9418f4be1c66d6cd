"""The 8 category definitions of the one map: fields, titles, enums, derived values."""

from __future__ import annotations

from typing import Any

from gis_onemap.categories import derived
from gis_onemap.categories.events import EVENT_CATEGORIES, EVENT_TYPES, EVENT_TYPES_BY_VALUE
from gis_onemap.categories.model import (
    POINT_OR_AREA,
    Category,
    Choice,
    Dispatch,
    Field,
    LocatedAt,
    Usability,
)

C = Choice


def check_plan_area(session: Any, values: dict[str, Any]) -> None:
    """A plan's ``area_codes`` must be known regions and its ``hazard_source_id`` must exist."""
    from gis_onemap.analysis.jurisdiction import check_plan_references

    check_plan_references(session, values.get("area_codes"), values.get("hazard_source_id"))


ADMIN_LEVELS = (
    C("national", "国家级", "National"),
    C("provincial", "省级", "Provincial"),
    C("municipal", "市级", "Municipal"),
    C("county", "县级", "County"),
    C("township", "乡镇级", "Township"),
    C("village", "村级", "Village"),
)
PHONE_PATTERN = r"^[0-9+\-() ]{5,30}$"

_NUM = {"type": "number"}
_TEXT = {"type": "string"}
#: One hazardous substance of a unit as the client gives it (GB 18218-2018): an identifier (a
#: Table 1 name or alias, CAS, UN number, or a Table 2 hazard code) and q. Q and β are looked
#: up (``gis_onemap.standards.gb18218``), which also checks the values so that every problem of
#: every item is listed at once; ``Q``/``beta`` may be sent only when equal to the standard's.
SUBSTANCE_SCHEMA = {
    "type": "object",
    "required": ["q"],
    "additionalProperties": False,
    "properties": {
        "name": {**_TEXT, "title": "物质名称 / Substance (GB 18218 Table 1 name or alias)"},
        "cas": {**_TEXT, "title": "CAS号 / CAS number"},
        "un": {**_TEXT, "title": "UN号 / UN number"},
        "hazard_code": {**_TEXT, "title": "危险性类别 / GB 18218 Table 2 code (J1…W11)"},
        "q": {**_NUM, "title": "实际存在量(t) / Quantity present (t), ≥ 0"},
        "Q_override": {**_NUM, "title": "临界量(t)（覆盖）/ Critical quantity override (t)"},
        "beta_override": {**_NUM, "title": "校正系数β（覆盖）/ β override"},
        "override_reason": {**_TEXT, "title": "覆盖理由 / Why the override"},
        "Q": {
            "type": "number",
            "exclusiveMinimum": 0,
            "title": "临界量(t) / Critical quantity (t): only if equal to the standard's",
        },
        "beta": {**_NUM, "title": "校正系数β / β: only if equal to the standard's"},
    },
}
#: One substance's term of S and R, as the server computed it (read-only).
SUBSTANCE_TERM_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "name": {**_TEXT, "title": "物质 / Substance as given"},
        "table1_no": {"type": "integer", "title": "表1序号 / Table 1 row"},
        "table1_name": {**_TEXT, "title": "表1名称 / Table 1 name"},
        "hazard_code": {**_TEXT, "title": "危险性类别 / Hazard code used for β"},
        "q": {**_NUM, "title": "q (t)"},
        "Q": {**_NUM, "title": "临界量 Q (t)"},
        "Q_source": {**_TEXT, "enum": ["table1", "table2", "override"], "title": "Q 来源"},
        "beta": {**_NUM, "title": "校正系数 β"},
        "beta_source": {**_TEXT, "enum": ["table3", "table4", "override"], "title": "β 来源"},
        "q_over_Q": {**_NUM, "title": "q/Q"},
        "beta_q_over_Q": {**_NUM, "title": "βq/Q"},
        "override_reason": {**_TEXT, "title": "覆盖理由 / Why the override"},
    },
}

#: What GB 18218 S, R and the level are computed from.
HAZARD_INPUTS = ("substances", "population_500m")

HAZARD_SOURCES = Category(
    id="hazard_sources",
    zh="重大危险源",
    en="Major hazard sources",
    description="Units holding hazardous chemicals at or above GB 18218-2018 thresholds.",
    geometry_types=POINT_OR_AREA,
    color="#d7191c",
    derive=derived.derive_hazard_source,
    fields=(
        Field("enterprise", "string", "所属企业", "Enterprise", max_length=200, in_tiles=True),
        Field(
            "hazard_type",
            "string",
            "危险源类型",
            "Hazard source type",
            in_tiles=True,
            choices=(
                C("production_unit", "生产单元", "Production unit"),
                C("storage_unit", "储存单元", "Storage unit"),
                C("warehouse", "仓库", "Warehouse"),
                C("gas_station", "加油加气站", "Fuel/gas station"),
                C("other", "其他", "Other"),
            ),
        ),
        Field(
            "level",
            "integer",
            "危险源等级",
            "Hazard level",
            minimum=1,
            maximum=4,
            derived=True,
            derived_from=HAZARD_INPUTS,
            # a register's level may be recorded for a unit whose substances are not listed
            recordable=True,
            in_tiles=True,
            description="GB 18218 level 1 (highest) to 4; derived from substances when given.",
        ),
        Field(
            "r_value",
            "number",
            "R值",
            "R value",
            minimum=0,
            derived=True,
            derived_from=HAZARD_INPUTS,
            in_tiles=True,
        ),
        Field(
            "s_value",
            "number",
            "S值",
            "S value",
            minimum=0,
            derived=True,
            derived_from=("substances",),
            description="S = Σq/Q (GB 18218-2018); a unit is a major hazard source only if S ≥ 1 "
            "(new units with S < 1 are refused; rows migrated from before may be flagged).",
        ),
        Field(
            "alpha",
            "number",
            "α校正系数",
            "α (population correction)",
            minimum=0.5,
            maximum=2,
            derived=True,
            derived_from=("population_500m",),
            description="GB 18218-2018 Table 5, from the residents within 500 m.",
        ),
        Field(
            "risk_color",
            "string",
            "风险等级颜色",
            "Risk colour",
            derived=True,
            derived_from=("level",),
            in_tiles=True,
            choices=(
                C("red", "红", "Red"),
                C("orange", "橙", "Orange"),
                C("yellow", "黄", "Yellow"),
                C("blue", "蓝", "Blue"),
            ),
        ),
        Field("population_500m", "integer", "500米内常住人口", "Residents within 500 m", minimum=0),
        Field(
            "substances",
            "object_list",
            "危险化学品",
            "Hazardous substances",
            item_schema=SUBSTANCE_SCHEMA,
        ),
        Field(
            "substance_terms",
            "object_list",
            "分项计算",
            "Terms of S and R per substance",
            item_schema=SUBSTANCE_TERM_SCHEMA,
            derived=True,
            derived_from=("substances",),
            output_only=True,
            description="Per substance: q, Q and β with where they came from (GB 18218-2018 "
            "table 1/2/3/4 or an override with its reason), q/Q and βq/Q.",
        ),
        Field("monitored", "boolean", "在线监测", "Online monitoring"),
        Field("contact_person", "string", "联系人", "Contact person", max_length=50, personal=True),
        Field(
            "contact_phone",
            "string",
            "联系电话",
            "Contact phone",
            pattern=PHONE_PATTERN,
            personal=True,
        ),
    ),
)

PROTECTED_TARGETS = Category(
    id="protected_targets",
    zh="重点防护目标",
    en="Key protected targets",
    description="Schools, hospitals, residential areas and other places to protect.",
    geometry_types=POINT_OR_AREA,
    color="#2b83ba",
    population_field="population",  # people exposed inside a buffer ring
    fields=(
        Field(
            "target_type",
            "string",
            "目标类型",
            "Target type",
            required=True,
            in_tiles=True,
            choices=(
                C("school", "学校", "School"),
                C("kindergarten", "幼儿园", "Kindergarten"),
                C("hospital", "医院", "Hospital"),
                C("nursing_home", "养老院", "Nursing home"),
                C("residential", "居民区", "Residential area"),
                C("government", "党政机关", "Government site"),
                C("water_source", "水源地", "Water source"),
                C("transport_hub", "交通枢纽", "Transport hub"),
                C("pipeline", "油气管道", "Oil/gas pipeline"),
                C("crowded_place", "人员密集场所", "Crowded place"),
                C("other", "其他", "Other"),
            ),
        ),
        Field("population", "integer", "人数", "Population / occupancy", minimum=0, in_tiles=True),
        Field("contact_person", "string", "联系人", "Contact person", max_length=50, personal=True),
        Field(
            "contact_phone",
            "string",
            "联系电话",
            "Contact phone",
            pattern=PHONE_PATTERN,
            personal=True,
        ),
    ),
)

#: Force tiers of the national emergency-rescue framework (DOMAIN.md, "Teams").
TEAM_TIERS = (
    C("main", "主力", "Main force (comprehensive fire and rescue)"),
    C("professional", "协同", "Professional (coordinating) team"),
    C("commando", "突击", "Shock force (military, armed police)"),
    C("auxiliary", "辅助", "Auxiliary (social / volunteer)"),
)

#: Team specialties; a team may have several (replaces the old mixed ``team_type``).
TEAM_SPECIALTIES = (
    C("fire_rescue", "综合性消防救援", "Fire and rescue"),
    C("full_time_fire", "专职消防", "Full-time fire brigade"),
    C("forest_fire", "森林消防", "Forest fire"),
    C("earthquake_geological", "地震地质灾害救援", "Earthquake & geological rescue"),
    C("mine", "矿山救护", "Mine rescue"),
    C("hazardous_chemicals", "危险化学品救援", "Hazardous chemicals rescue"),
    C("flood", "防汛抗旱", "Flood control"),
    C("medical", "医疗救护", "Medical rescue"),
    C("epidemic_prevention", "卫生防疫", "Epidemic prevention"),
    C("maritime", "水上搜救", "Maritime search & rescue"),
    C("oil_spill", "溢油处置", "Oil spill response"),
    C("aviation", "航空救援", "Aviation rescue"),
    C("communications", "通信保障", "Communications support"),
    C("power_repair", "电力抢修", "Power repair"),
    C("engineering", "工程抢险", "Engineering rescue"),
    C("militia", "民兵", "Militia"),
    C("other", "其他", "Other"),
)

#: Team statuses; only ``on_duty`` and ``standby`` teams count as usable.
TEAM_STATUSES = (
    C("on_duty", "在岗待命", "On duty"),
    C("standby", "备勤", "Standby"),
    C("deployed", "执行任务中", "Deployed"),
    C("unavailable", "不可用", "Unavailable"),
)

RESCUE_TEAMS = Category(
    id="rescue_teams",
    zh="救援队伍",
    en="Rescue teams",
    description="Fire-and-rescue, professional and social rescue teams (tier + specialties).",
    color="#fdae61",
    # Deployed or unavailable teams cannot be sent: left out of totals unless asked for.
    usable=Usability(
        reason_sql="CASE WHEN {t}.status IN ('deployed', 'unavailable') THEN {t}.status END",
        unit="teams",
        measure_column="headcount",
        measure_name="people",
    ),
    # a team goes as a whole: deployed while dispatched (so it drops out of every other total),
    # standing by again on release
    dispatch=Dispatch(
        mode="status",
        status_field="status",
        status_time_field="status_updated_at",
        dispatched_status="deployed",
        released_status="standby",
        counts=("people", "vehicles"),
    ),
    fields=(
        Field(
            "tier",
            "string",
            "力量类别",
            "Force tier",
            required=True,
            in_tiles=True,
            choices=TEAM_TIERS,
            description="主力/协同/突击/辅助 of the national emergency-rescue framework.",
        ),
        Field(
            "specialties",
            "string_list",
            "专业类别",
            "Specialties",
            in_tiles=True,
            choices=TEAM_SPECIALTIES,
        ),
        Field("team_level", "string", "队伍级别", "Team level", choices=ADMIN_LEVELS),
        Field("headcount", "integer", "人数", "Headcount", minimum=0, in_tiles=True),
        Field("equipment", "string", "主要装备", "Main equipment", max_length=2000),
        Field(
            "status",
            "string",
            "战备状态",
            "Status",
            in_tiles=True,
            choices=TEAM_STATUSES,
            description="Deployed and unavailable teams are left out of totals by default.",
        ),
        Field("status_updated_at", "datetime", "状态更新时间", "Status updated at"),
        Field("leader", "string", "负责人", "Leader", max_length=50, personal=True),
        Field("phone", "string", "联系电话", "Phone", pattern=PHONE_PATTERN, personal=True),
    ),
)

SUPPLIES = Category(
    id="supplies",
    zh="应急物资与装备",
    en="Supplies and equipment",
    description="Stock of emergency supplies (GB/T 38565-2020 codes), held at depots.",
    color="#1a9641",
    derive=derived.derive_supply,
    stock_field="quantity",
    # a quantity leaves the stock record (its depot's) and what is unused comes back on release
    dispatch=Dispatch(mode="stock"),
    # a supply held at a depot takes the depot's point; supplies are looked up by depot
    located_at=LocatedAt(field="depot_id", collection="depots", noun="depot"),
    indexed=("depot_id",),
    # Expired (by date as of today, or marked so) and reserved/damaged stock cannot be handed out.
    # A NULL status counts as available: records from before statuses existed stay counted.
    usable=Usability(
        reason_sql=(
            "CASE WHEN {t}.status = 'expired' OR {t}.expiry_date < CURRENT_DATE THEN 'expired'"
            " WHEN {t}.status IS NOT NULL AND {t}.status <> 'available' THEN {t}.status END"
        ),
        unit="records",
        measure_column="quantity",
        measure_name="quantity",
        measure_per="unit",
    ),
    fields=(
        Field(
            "item_name", "string", "物资名称", "Item", required=True, max_length=200, in_tiles=True
        ),
        Field(
            "item_code",
            "string",
            "物资编码",
            "Item code (GB/T 38565)",
            pattern=derived.SUPPLY_CODE_PATTERN,
            description="7 digits: class 1–3, then three levels 01–99 (99 = other).",
        ),
        Field(
            "supply_class",
            "string",
            "物资大类",
            "Supply class",
            derived=True,
            derived_from=("item_code",),
            recordable=True,  # the top class is known when the 7-digit code is not
            in_tiles=True,
            choices=(
                C("1", "基本生活保障物资", "Basic living supplies"),
                C("2", "应急装备及配套物资", "Emergency equipment and supporting supplies"),
                C("3", "工程材料与机械加工设备", "Engineering materials and machinery"),
            ),
        ),
        Field("quantity", "number", "数量", "Quantity", required=True, minimum=0, in_tiles=True),
        Field("unit", "string", "计量单位", "Unit", required=True, max_length=20, in_tiles=True),
        Field(
            "depot_id",
            "integer",
            "所在储备库",
            "Depot id",
            minimum=1,
            references="depots",
            description="A supply held at a depot takes the depot's location.",
        ),
        Field("expiry_date", "date", "有效期至", "Expiry date"),
        Field(
            "status",
            "string",
            "物资状态",
            "Status",
            in_tiles=True,
            choices=(
                C("available", "可用", "Available"),
                C("reserved", "已预留", "Reserved"),
                C("expired", "已过期", "Expired"),
                C("damaged", "已损坏", "Damaged"),
            ),
            description="Only available, unexpired stock counts in totals by default.",
        ),
        Field("owner_unit", "string", "管理单位", "Managing unit", max_length=200),
    ),
)

DEPOTS = Category(
    id="depots",
    zh="储备库",
    en="Reserve depots",
    description="Emergency supply reserve depots, graded national to village.",
    color="#a6611a",
    fields=(
        Field(
            "depot_level",
            "string",
            "储备库级别",
            "Depot level",
            choices=ADMIN_LEVELS,
            in_tiles=True,
        ),
        Field("area_m2", "number", "库房面积(㎡)", "Floor area (m²)", minimum=0),
        Field("owner_unit", "string", "管理单位", "Managing unit", max_length=200),
        Field("manager", "string", "负责人", "Manager", max_length=50, personal=True),
        Field("phone", "string", "联系电话", "Phone", pattern=PHONE_PATTERN, personal=True),
    ),
)

SHELTERS = Category(
    id="shelters",
    zh="应急避难场所",
    en="Emergency shelters",
    description="Shelters in parks, squares, schools, stadiums (GB 50413-2007, GB 21734-2008).",
    geometry_types=POINT_OR_AREA,
    color="#008837",
    derive=derived.derive_shelter,
    fields=(
        Field(
            "shelter_type",
            "string",
            "避难场所类型",
            "Shelter type",
            required=True,
            in_tiles=True,
            choices=(
                C("emergency", "紧急避难场所", "Emergency shelter"),
                C("fixed", "固定避难场所", "Fixed shelter"),
                C("central", "中心避难场所", "Central shelter"),
            ),
        ),
        Field(
            "shelter_class",
            "string",
            "避难场所等级",
            "Shelter class (GB 21734)",
            choices=(
                C("I", "Ⅰ类(30天以上)", "Class I (> 30 days)"),
                C("II", "Ⅱ类(10-30天)", "Class II (10–30 days)"),
                C("III", "Ⅲ类(10天以内)", "Class III (< 10 days)"),
            ),
        ),
        Field(
            "site_type",
            "string",
            "场地类型",
            "Site type",
            choices=(
                C("park", "公园", "Park"),
                C("square", "广场", "Square"),
                C("school", "学校", "School"),
                C("stadium", "体育场馆", "Stadium"),
                C("civil_defence", "人防工程", "Civil-defence works"),
                C("other", "其他", "Other"),
            ),
        ),
        Field(
            "space_type",
            "string",
            "空间类型",
            "Space type (GB/T 44013)",
            in_tiles=True,
            choices=(
                C("indoor", "室内", "Indoor"),
                C("outdoor", "室外", "Outdoor"),
            ),
            description="Outdoor sites (parks, squares) are of no use in a typhoon.",
        ),
        Field(
            "hazards_served",
            "string_list",
            "避难种类",
            "Hazards served (GB/T 44013)",
            in_tiles=True,
            choices=tuple(EVENT_TYPES_BY_VALUE[v].choice for v in derived.SHELTER_HAZARDS),
        ),
        Field(
            "effective_area_m2",
            "number",
            "有效避难面积(㎡)",
            "Effective area (m²)",
            minimum=0,
            description="GB 21734 §5.4: preferably > 2,000 m² and > 1.5 m² per person.",
        ),
        Field(
            "capacity",
            "integer",
            "容纳人数",
            "Capacity (persons)",
            minimum=0,
            derived=True,
            derived_from=("effective_area_m2", "shelter_type"),
            # GB 50413 sets a minimum area per person: area ÷ that is the most it may hold
            derived_at_most=True,
            recordable=True,
            in_tiles=True,
            description=(
                "At most effective area ÷ minimum area per person of the shelter type "
                "(GB 50413); that value when not given."
            ),
        ),
        Field(
            "service_radius_m",
            "number",
            "服务半径(米)",
            "Service radius (m)",
            minimum=0,
            derived=True,
            derived_from=("shelter_type",),
        ),
        Field(
            "facilities",
            "string_list",
            "配套设施",
            "Facilities",
            choices=(
                C("water", "应急供水", "Water"),
                C("power", "应急供电", "Power"),
                C("medical", "医疗救护", "Medical"),
                C("supplies", "物资储备", "Supplies"),
                C("toilet", "应急厕所", "Toilets"),
                C("broadcast", "广播", "Broadcast"),
            ),
        ),
        Field(
            "warnings",
            "string_list",
            "核查提示",
            "Warnings",
            derived=True,
            derived_from=("effective_area_m2", "capacity"),
            output_only=True,
            choices=tuple(C(k, zh, en) for k, (zh, en) in derived.SHELTER_WARNINGS.items()),
            description="GB 21734 §5.4 checks that fail (effective area, area per person).",
        ),
    ),
)

SPECIALTIES = (
    C("hazardous_chemicals", "危险化学品", "Hazardous chemicals"),
    C("geology", "地质", "Geology"),
    C("flood", "防汛抗旱", "Flood and drought"),
    C("fire", "消防", "Fire"),
    C("forest_fire", "森林防火", "Forest fire"),
    C("earthquake", "地震", "Earthquake"),
    C("structural", "建筑结构", "Structural engineering"),
    C("medical", "医疗救护", "Medical"),
    C("public_health", "公共卫生", "Public health"),
    C("meteorology", "气象", "Meteorology"),
    C("mining", "矿山", "Mining"),
    C("maritime", "海事", "Maritime"),
    C("traffic", "交通运输", "Transport"),
    C("environment", "环境", "Environment"),
    C("electric_power", "电力", "Electric power"),
    C("social_security", "社会安全", "Social security"),
    C("other", "其他", "Other"),
)

EXPERTS = Category(
    id="experts",
    zh="专家",
    en="Experts",
    description="The expert pool by specialty; located at their work unit.",
    color="#7b3294",
    event_match="specialties",
    fields=(
        Field(
            "specialties",
            "string_list",
            "专业领域",
            "Specialties",
            required=True,
            choices=SPECIALTIES,
            in_tiles=True,
        ),
        Field("work_unit", "string", "工作单位", "Work unit", max_length=200, in_tiles=True),
        Field("title", "string", "职称", "Professional title", max_length=50),
        Field("phone", "string", "联系电话", "Phone", pattern=PHONE_PATTERN, personal=True),
        Field("email", "string", "电子邮箱", "E-mail", pattern=r"^[^@\s]+@[^@\s]+$", personal=True),
    ),
)

PLANS = Category(
    id="plans",
    zh="应急预案",
    en="Emergency plans",
    description="Emergency plans as structured data; geometry = issuer or coverage area.",
    geometry_types=POINT_OR_AREA,
    color="#e66101",
    derive=derived.derive_plan,
    db_checks=(check_plan_area,),
    event_match="event_types",
    selection="jurisdiction",
    fields=(
        Field(
            "plan_type",
            "string",
            "预案类型",
            "Plan type",
            required=True,
            in_tiles=True,
            choices=(
                C("overall", "总体应急预案", "Overall"),
                C("special", "专项应急预案", "Special"),
                C("departmental", "部门应急预案", "Departmental"),
                C("enterprise_comprehensive", "综合应急预案", "Enterprise comprehensive plan"),
                C("enterprise_special", "专项应急预案(企业)", "Enterprise special plan"),
                C("enterprise_on_site", "现场处置方案", "On-site response scheme"),
                C("grassroots", "基层应急预案", "Grassroots"),
            ),
            description="Government types, and GB/T 29639-2020's three enterprise types.",
        ),
        Field(
            "issuer_level",
            "string",
            "发布层级",
            "Issuer level",
            in_tiles=True,
            choices=(*ADMIN_LEVELS, C("enterprise", "企业", "Enterprise")),
            description="Plans for an incident are listed enterprise first, then county, city...",
        ),
        Field(
            "area_codes",
            "string_list",
            "适用区域代码",
            "Area codes",
            description=(
                "Region codes (GB/T 2260) the plan applies to; each must be a known region. "
                "A plan applies to an incident inside any of them."
            ),
        ),
        Field(
            "hazard_source_id",
            "integer",
            "企业危险源",
            "Enterprise hazard source id",
            minimum=1,
            references="hazard_sources",
            description="Enterprise plans: the hazard source at whose site the plan applies.",
        ),
        Field(
            "event_types",
            "string_list",
            "适用事件类型",
            "Event types",
            required=True,
            choices=tuple(e.choice for e in EVENT_TYPES),
            in_tiles=True,
        ),
        Field(
            "event_categories",
            "string_list",
            "事件类别",
            "Event categories",
            derived=True,
            derived_from=("event_types",),
            choices=EVENT_CATEGORIES,
        ),
        Field("issuing_unit", "string", "发布单位", "Issuing unit", max_length=200),
        Field("issued_date", "date", "发布日期", "Issued on"),
        Field("scope", "string", "适用范围", "Scope", max_length=4000),
        Field("response_levels", "string", "响应分级", "Response levels", max_length=4000),
        Field("document_no", "string", "文号", "Document number", max_length=100),
    ),
)

CATEGORIES: tuple[Category, ...] = (
    HAZARD_SOURCES,
    PROTECTED_TARGETS,
    RESCUE_TEAMS,
    SUPPLIES,
    DEPOTS,
    SHELTERS,
    EXPERTS,
    PLANS,
)
