"""Planning rules as data.

Demand share by district type, capacity by shelter type and stay, which shelters serve a hazard.

Capacity uses the one shelter table (:data:`gis_onemap.categories.derived.SHELTER_PARAMS`,
GB 50413-2007 area per person by type); a stay longer than :data:`LONG_STAY_DAYS` (GB 21734
classes I/II) needs at least :data:`SHELTER_MIN_AREA_PER_PERSON_M2` (1.5 m² living area).
"""

from __future__ import annotations

from collections.abc import Sequence

from gis_onemap.categories.derived import SHELTER_MIN_AREA_PER_PERSON_M2, SHELTER_PARAMS

#: GB 21734-2008: class III shelters are for stays under 10 days; longer stays (classes I/II)
#: need the living-area minimum.
LONG_STAY_DAYS = 10
#: Hazards during which only indoor shelters help (GB/T 44013-2024 space types: an outdoor park
#: is useless in a typhoon or a storm surge with its rain).
INDOOR_ONLY_HAZARDS = frozenset({"typhoon", "storm_surge"})


def area_per_person(shelter_type: str, duration_days: float | None) -> float:
    """m² per person for a shelter type and a planned stay.

    >>> area_per_person("emergency", None), area_per_person("emergency", 15)
    (1.0, 1.5)
    >>> area_per_person("fixed", 30)
    2.0
    """
    base = SHELTER_PARAMS[shelter_type].area_per_person_m2
    if duration_days is not None and duration_days > LONG_STAY_DAYS:
        return max(base, SHELTER_MIN_AREA_PER_PERSON_M2)
    return base


def capacity_of(
    shelter_type: str | None,
    effective_area_m2: float | None,
    recorded: int | None,
    duration_days: float | None,
) -> int:
    """Persons a shelter holds for this stay.

    Effective area ÷ area per person; the recorded capacity only when the area is unknown (never
    more than the area allows).

    >>> capacity_of("fixed", 12_000, None, None), capacity_of("fixed", 12_000, 5_000, None)
    (6000, 5000)
    >>> capacity_of("emergency", 3_000, None, 20), capacity_of(None, None, 800, None)
    (2000, 800)
    """
    if effective_area_m2 is not None and shelter_type in SHELTER_PARAMS:
        by_area = int(effective_area_m2 // area_per_person(shelter_type, duration_days))
        return by_area if recorded is None else min(by_area, int(recorded))
    return int(recorded or 0)


def serves(
    hazard: str | None, space_type: str | None, hazards_served: Sequence[str] | None
) -> str | None:
    """Why a shelter does not serve ``hazard`` (``None`` when it does).

    A shelter with no listed hazards is taken to serve any; indoor-only hazards need
    ``space_type = 'indoor'``.

    >>> serves("typhoon", "outdoor", None), serves("typhoon", "indoor", ["typhoon"])
    ('outdoor_in_typhoon', None)
    >>> serves("earthquake", "outdoor", ["flood"]), serves(None, "outdoor", [])
    ('hazard_not_served', None)
    """
    if hazard is None:
        return None
    if hazard in INDOOR_ONLY_HAZARDS and space_type != "indoor":
        return f"outdoor_in_{hazard}"
    if hazards_served and hazard not in hazards_served:
        return "hazard_not_served"
    return None


def share_for(
    region_code: str | None, default: float, central: float, central_codes: Sequence[str]
) -> float:
    """Planned share of residents needing a shelter in a region.

    >>> share_for("440802", 0.2, 0.3, ["440802"]), share_for("440825", 0.2, 0.3, ["440802"])
    (0.3, 0.2)
    """
    return central if region_code in central_codes else default
