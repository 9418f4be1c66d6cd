"""Derived values.

GB 18218-2018 S/R/level; shelter capacity (GB 50413-2007), shelter checks (GB 21734-2008 §5.4);
supply class (GB/T 38565-2020).

GB 18218 tables and lookups live in :mod:`gis_onemap.standards.gb18218`; other numbers come
from ../shared/DOMAIN.md ("Categories and the numbers behind them").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gis_onemap.errors import ValidationFailed
from gis_onemap.standards.gb18218 import assess_unit, gb18218

#: Urban-safety four-colour risk map: level 1..4 → red, orange, yellow, blue.
RISK_COLOR_BY_LEVEL = {1: "red", 2: "orange", 3: "yellow", 4: "blue"}


def alpha_for_population(population: int | None) -> float:
    """GB 18218-2018 Table 5 α from the resident population within 500 m.

    >>> [alpha_for_population(p) for p in (0, 1, 29, 30, 50, 99, 100)]
    [0.5, 1.0, 1.0, 1.2, 1.5, 1.5, 2.0]
    """
    return gb18218().alpha(population)


def level_for_r(r: float) -> int:
    """Hazard level 1–4 from R (GB 18218-2018).

    >>> [level_for_r(r) for r in (150, 100, 99.9, 50, 10, 9.99, 0)]
    [1, 1, 2, 2, 3, 4, 4]
    """
    return gb18218().level(r)


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
    """Fill S, R, α, level and each substance's terms by GB 18218-2018 lookups.

    Q and β come from the standard's tables (see :mod:`gis_onemap.standards.gb18218`); a unit
    whose substances name nothing known, or whose S < 1, is refused with every problem listed.

    >>> p = derive_hazard_source({"population_500m": 0, "substances": [{"name": "氯", "q": 10}]})
    >>> p["s_value"], p["alpha"], p["r_value"], p["level"], p["risk_color"]
    (2.0, 0.5, 4.0, 4, 'blue')
    """
    subs = props.get("substances")
    props.pop("substance_terms", None)  # never kept from the client: recomputed or absent
    if subs:
        assessed, problems = assess_unit(subs, props.get("population_500m"))
        if problems or assessed is None:
            raise ValidationFailed(_summary(problems), details=problems)
        props["substance_terms"] = assessed.terms
        props["s_value"], props["r_value"] = assessed.s_value, assessed.r_value
        props["alpha"], props["level"] = assessed.alpha, assessed.level
    if props.get("level") is not None:
        props["risk_color"] = RISK_COLOR_BY_LEVEL[int(props["level"])]
    return props


def _summary(problems: list[dict[str, str]]) -> str:
    first = "; ".join(f"'{p['property']}' {p['message']}" for p in problems[:5])
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    return f"invalid properties: {first}{more}"


def derive_shelter(props: dict[str, Any]) -> dict[str, Any]:
    """Fill ``capacity``, the service radius and the GB 21734 ``warnings``.

    ``capacity`` comes from area and type when not given; the service radius is the type's.

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
