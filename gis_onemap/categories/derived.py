"""Derived values: GB 18218-2018 R value and hazard level; shelter capacity (GB 50413-2007),
shelter checks (GB 21734-2008 §5.4); supply class (GB/T 38565-2020).

Numbers come from ../shared/DOMAIN.md ("Categories and the numbers behind them").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: GB 18218-2018 correction factor α from the resident population within 500 m.
ALPHA_BY_POPULATION: tuple[tuple[int, float], ...] = ((100, 2.0), (50, 1.5), (30, 1.2), (1, 1.0))

#: GB 18218-2018 β correction factors by substance (toxic gases) or substance class.
BETA_BY_SUBSTANCE: dict[str, float] = {
    "一氧化碳": 2, "carbon monoxide": 2, "co": 2,
    "二氧化硫": 2, "sulfur dioxide": 2, "so2": 2,
    "氨": 2, "液氨": 2, "ammonia": 2, "nh3": 2,
    "环氧乙烷": 2, "ethylene oxide": 2,
    "氯化氢": 3, "hydrogen chloride": 3, "hcl": 3,
    "溴甲烷": 3, "methyl bromide": 3, "ch3br": 3,
    "氯": 4, "氯气": 4, "chlorine": 4, "cl2": 4,
    "硫化氢": 5, "hydrogen sulfide": 5, "h2s": 5,
    "氟化氢": 5, "hydrogen fluoride": 5, "hf": 5,
    "二氧化氮": 10, "nitrogen dioxide": 10, "no2": 10,
    "氰化氢": 10, "hydrogen cyanide": 10, "hcn": 10,
    "碳酰氯": 20, "光气": 20, "phosgene": 20,
    "磷化氢": 20, "phosphine": 20, "ph3": 20,
    "异氰酸甲酯": 20, "methyl isocyanate": 20,
}  # fmt: skip
BETA_BY_CLASS: dict[str, float] = {
    "toxic_gas": 2,
    "highly_toxic_gas": 4,
    "explosive": 2,
    "flammable_gas": 1.5,
    "other": 1,
}
SUBSTANCE_CLASSES = tuple(BETA_BY_CLASS)

#: Hazard level by R (GB 18218-2018): level 1 R ≥ 100; 2: 50–100; 3: 10–50; 4: R < 10.
LEVEL_THRESHOLDS: tuple[tuple[float, int], ...] = ((100, 1), (50, 2), (10, 3))

#: Urban-safety four-colour risk map: level 1..4 → red, orange, yellow, blue.
RISK_COLOR_BY_LEVEL = {1: "red", 2: "orange", 3: "yellow", 4: "blue"}


def alpha_for_population(population: int | None) -> float:
    """GB 18218 α from the resident population within 500 m.

    >>> [alpha_for_population(p) for p in (0, 1, 29, 30, 50, 99, 100)]
    [0.5, 1.0, 1.0, 1.2, 1.5, 1.5, 2.0]
    """
    p = population or 0
    for threshold, alpha in ALPHA_BY_POPULATION:
        if p >= threshold:
            return alpha
    return 0.5


def beta_for(substance: Mapping[str, Any]) -> float:
    """β of one substance: given explicitly, else by name, else by class, else 1.

    >>> beta_for({"name": "氯气"})
    4
    >>> beta_for({"name": "xyz", "substance_class": "flammable_gas"})
    1.5
    """
    if substance.get("beta") is not None:
        return float(substance["beta"])
    name = str(substance.get("name", "")).strip().lower()
    if name in BETA_BY_SUBSTANCE:
        return BETA_BY_SUBSTANCE[name]
    return BETA_BY_CLASS.get(str(substance.get("substance_class") or "other"), 1)


def level_for_r(r: float) -> int:
    """Hazard level 1–4 from R.

    >>> [level_for_r(r) for r in (150, 100, 99.9, 50, 10, 9.99, 0)]
    [1, 1, 2, 2, 3, 4, 4]
    """
    for threshold, level in LEVEL_THRESHOLDS:
        if r >= threshold:
            return level
    return 4


@dataclass(frozen=True)
class HazardAssessment:
    """S (Σq/Q), R (α·Σβq/Q) and the level of a hazard source."""

    s_value: float
    r_value: float
    level: int


def assess_hazard(
    substances: Iterable[Mapping[str, Any]], population_500m: int | None
) -> HazardAssessment:
    """S, R and level of a unit from its substances (q, Q in tonnes) — GB 18218-2018.

    >>> a = assess_hazard([{"name": "液氨", "q": 100, "Q": 10}], population_500m=120)
    >>> (a.s_value, a.r_value, a.level)   # S = 10; R = 2.0 × 2 × 10 = 40 → level 3
    (10.0, 40.0, 3)
    """
    s = 0.0
    weighted = 0.0
    for sub in substances:
        ratio = float(sub["q"]) / float(sub["Q"])
        s += ratio
        weighted += beta_for(sub) * ratio
    r = alpha_for_population(population_500m) * weighted
    return HazardAssessment(round(s, 6), round(r, 6), level_for_r(r))


@dataclass(frozen=True)
class ShelterClassParams:
    """Per-type shelter parameters (GB 50413-2007); configurable, see DOMAIN.md."""

    area_per_person_m2: float
    service_radius_m: float
    min_site_area_m2: float


#: GB 50413-2007: emergency ≥ 1 m²/person, ~500 m, ≥ 0.1 ha; fixed ≥ 2 m²/person, 2–3 km, ≥ 1 ha;
#: central ≥ 50 ha (per-person area taken as the fixed one's; unconfirmed, keep configurable).
SHELTER_PARAMS: dict[str, ShelterClassParams] = {
    "emergency": ShelterClassParams(1.0, 500.0, 1_000.0),
    "fixed": ShelterClassParams(2.0, 2_500.0, 10_000.0),
    "central": ShelterClassParams(2.0, 5_000.0, 500_000.0),
}


#: GB 21734-2008 §5.4: effective area preferably > 2,000 m² and > 1.5 m² per person.
SHELTER_MIN_EFFECTIVE_AREA_M2 = 2_000.0
SHELTER_MIN_AREA_PER_PERSON_M2 = 1.5
#: Warning keys on a shelter feature when a check fails: (zh, en) labels.
SHELTER_WARNINGS: dict[str, tuple[str, str]] = {
    "effective_area_below_min": (
        "有效避难面积不大于2000㎡(GB 21734 §5.4)",
        "Effective area not above 2,000 m² (GB 21734 §5.4)",
    ),
    "area_per_person_below_min": (
        "人均有效避难面积不大于1.5㎡(GB 21734 §5.4)",
        "Effective area per person not above 1.5 m² (GB 21734 §5.4)",
    ),
}
#: Hazards a shelter may serve (GB/T 44013-2024 避难种类), as event types of ``events.py``.
SHELTER_HAZARDS = (
    "earthquake", "typhoon", "flood", "storm_surge", "geological", "fire", "hazardous_chemicals",
)  # fmt: skip


def shelter_warnings(area_m2: float | None, capacity: int | None) -> list[str]:
    """GB 21734 §5.4 checks that fail: effective area > 2,000 m², > 1.5 m² per person.

    >>> shelter_warnings(2_000, 1_000)
    ['effective_area_below_min']
    >>> shelter_warnings(3_000, 2_000)
    ['area_per_person_below_min']
    >>> shelter_warnings(3_001, 2_000), shelter_warnings(None, None)
    ([], [])
    """
    out = []
    if area_m2 is not None and area_m2 <= SHELTER_MIN_EFFECTIVE_AREA_M2:
        out.append("effective_area_below_min")
    if area_m2 is not None and capacity and area_m2 / capacity <= SHELTER_MIN_AREA_PER_PERSON_M2:
        out.append("area_per_person_below_min")
    return out


def shelter_capacity(area_m2: float, shelter_type: str) -> int:
    """Persons a shelter holds: effective area ÷ area per person of its type.

    >>> shelter_capacity(12_000, "fixed")
    6000
    >>> shelter_capacity(950.5, "emergency")
    950
    """
    return int(area_m2 // SHELTER_PARAMS[shelter_type].area_per_person_m2)


def derive_hazard_source(props: dict[str, Any]) -> dict[str, Any]:
    """Fill ``s_value``, ``r_value``, ``level`` and ``risk_color`` from the substances."""
    subs = props.get("substances")
    if subs:
        a = assess_hazard(subs, props.get("population_500m"))
        props["s_value"], props["r_value"], props["level"] = a.s_value, a.r_value, a.level
    if props.get("level") is not None:
        props["risk_color"] = RISK_COLOR_BY_LEVEL[int(props["level"])]
    return props


def derive_shelter(props: dict[str, Any]) -> dict[str, Any]:
    """Fill ``capacity`` from area and type when not given, the type's service radius, and the
    GB 21734 ``warnings``.

    >>> derive_shelter({"shelter_type": "fixed", "effective_area_m2": 1500})["warnings"]
    ['effective_area_below_min']
    """
    stype = props.get("shelter_type")
    area = props.get("effective_area_m2")
    if stype in SHELTER_PARAMS:
        if props.get("capacity") is None and area is not None:
            props["capacity"] = shelter_capacity(float(area), stype)
        if props.get("service_radius_m") is None:
            props["service_radius_m"] = SHELTER_PARAMS[stype].service_radius_m
    props["warnings"] = shelter_warnings(area, props.get("capacity"))
    return props


#: GB/T 38565-2020 code: class 1–3, then three two-digit levels 01–99 (99 = other).
SUPPLY_CODE_PATTERN = r"^[1-3](0[1-9]|[1-9][0-9]){3}$"


def derive_supply(props: dict[str, Any]) -> dict[str, Any]:
    """Fill ``supply_class`` (GB/T 38565-2020 top class, the code's first digit).

    >>> derive_supply({"item_code": "1010101"})["supply_class"]
    '1'
    """
    code = props.get("item_code")
    if code:
        props["supply_class"] = str(code)[0]
    return props


def derive_plan(props: dict[str, Any]) -> dict[str, Any]:
    """Fill ``event_categories`` from the plan's event types."""
    from gis_onemap.categories.events import EVENT_TYPES_BY_VALUE

    types = props.get("event_types")
    if types is not None:
        cats = {EVENT_TYPES_BY_VALUE[t].category for t in types if t in EVENT_TYPES_BY_VALUE}
        props["event_categories"] = sorted(cats)
    return props
