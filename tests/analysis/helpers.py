"""Test helpers for the analyses: put rows at geodesic offsets computed with pyproj.Geod."""

from __future__ import annotations

from typing import Any

from pyproj import Geod
from sqlalchemy import func, insert
from sqlalchemy.orm import Session

from gis_onemap.db.tables import table_for

GEOD = Geod(ellps="WGS84")

#: Minimal valid properties per category (besides name and geometry).
MINIMAL: dict[str, dict[str, Any]] = {
    "hazard_sources": {"level": 2},
    "protected_targets": {"target_type": "school", "population": 100},
    "rescue_teams": {"tier": "main", "headcount": 10},
    "supplies": {"item_name": "帐篷", "quantity": 5.0, "unit": "顶"},
    "depots": {},
    "shelters": {"shelter_type": "emergency", "capacity": 100},
    "experts": {"specialties": ["fire"]},
    "plans": {"plan_type": "special", "event_types": ["fire"]},
}


def offset(lon: float, lat: float, azimuth: float, distance_m: float) -> tuple[float, float]:
    """The point ``distance_m`` geodesic metres from (lon, lat) at ``azimuth`` (pyproj)."""
    lon2, lat2, _ = GEOD.fwd(lon, lat, azimuth, distance_m)
    return float(lon2), float(lat2)


def add(
    session: Session, category: str, lon: float, lat: float, name: str = "f", **props: Any
) -> int:
    """Insert one point feature directly (the analyses read the tables); returns its id."""
    values = {**MINIMAL[category], **props, "name": name}
    values["geom"] = func.ST_GeomFromEWKT(f"SRID=4326;POINT({lon!r} {lat!r})")
    table = table_for(category)
    return int(session.execute(insert(table).values(**values).returning(table.c.id)).scalar_one())


def add_area(session: Session, category: str, wkt: str, name: str = "a", **props: Any) -> int:
    """Insert one feature with a WKT geometry (lon/lat)."""
    values = {**MINIMAL[category], **props, "name": name}
    values["geom"] = func.ST_GeomFromEWKT(f"SRID=4326;{wkt}")
    table = table_for(category)
    return int(session.execute(insert(table).values(**values).returning(table.c.id)).scalar_one())
