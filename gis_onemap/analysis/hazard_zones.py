"""Hazard zones: geodesic rings around major hazard sources, radius per level, dissolved per level.

No standard maps a GB 18218 hazard level to a zone radius (DOMAIN.md, "Analyses people expect"),
so the radii are a documented default table, overridable with ``ONEMAP_HAZARD_ZONE_RADII_M``
(settings ``hazard_zone_radii_m``) or per request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import shapely
from geoalchemy2.shape import to_shape
from sqlalchemy import LargeBinary, bindparam, func, select
from sqlalchemy.orm import Session

from gis_onemap.analysis.buffers import geodesic_disc, ring_feature
from gis_onemap.analysis.inputs import check_radius
from gis_onemap.db.tables import table_for
from gis_onemap.errors import InvalidInput

#: Default zone radius (metres) per GB 18218 level (1 = highest). Not from a standard: level 1
#: follows the 1,000 m that GB 50413-2007 §8.2.7 asks between shelters and major fire/explosion
#: hazards, tripled as an evacuation-planning margin; the lower levels shrink from there.
DEFAULT_HAZARD_ZONE_RADII_M: dict[int, float] = {1: 3000.0, 2: 2000.0, 3: 1000.0, 4: 500.0}
#: Most hazard sources one request may buffer.
MAX_SOURCES = 5000
#: Targets listed per zone (all are counted).
MAX_TARGETS_LISTED = 1000


def hazard_zone_radii(overrides: Mapping[Any, Any] | None = None) -> dict[int, float]:
    """The radius table: defaults updated with ``overrides`` (levels 1–4, 0 < r ≤ 500 km).

    >>> hazard_zone_radii({"1": 5000})[1]
    5000.0
    >>> hazard_zone_radii({5: 100})
    Traceback (most recent call last):
    ...
    gis_onemap.errors.InvalidInput: hazard zone radii: level must be 1, 2, 3 or 4
    """
    radii = dict(DEFAULT_HAZARD_ZONE_RADII_M)
    for key, value in (overrides or {}).items():
        try:
            level = int(key)
        except (TypeError, ValueError):
            level = 0
        if level not in radii:
            raise InvalidInput("hazard zone radii: level must be 1, 2, 3 or 4")
        radii[level] = check_radius(value, f"hazard zone radius of level {level}")
    return radii


def parse_levels(levels: Sequence[Any] | None) -> list[int]:
    """Levels to draw (all four when none), each 1–4.

    >>> parse_levels(["1,2", 4])
    [1, 2, 4]
    """
    out: set[int] = set()
    for raw in levels or []:
        for part in str(raw).split(","):
            if not part.strip():
                continue
            try:
                value = int(part)
            except ValueError:
                raise InvalidInput("level must be an integer from 1 to 4") from None
            if value not in DEFAULT_HAZARD_ZONE_RADII_M:
                raise InvalidInput("level must be an integer from 1 to 4")
            out.add(value)
    return sorted(out) or sorted(DEFAULT_HAZARD_ZONE_RADII_M)


class HazardZoneService:
    """Zones per hazard level with the protected targets and population inside."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def zones(
        self,
        levels: Sequence[int],
        radii: Mapping[int, float],
        bbox: tuple[float, float, float, float] | None = None,
        region_code: str | None = None,
    ) -> dict[str, Any]:
        """One dissolved zone per level that has sources, nearest levels first (1 → 4)."""
        hs = table_for("hazard_sources")
        stmt = (
            select(hs.c.id, hs.c.level, hs.c.geom)
            .where(hs.c.level.in_(list(levels)))
            .order_by(hs.c.id)
            .limit(MAX_SOURCES + 1)
        )
        if bbox is not None:
            stmt = stmt.where(func.ST_Intersects(hs.c.geom, func.ST_MakeEnvelope(*bbox, 4326)))
        if region_code:
            stmt = stmt.where(hs.c.region_code == region_code)
        rows = self.session.execute(stmt).all()
        if len(rows) > MAX_SOURCES:
            raise InvalidInput(
                f"more than {MAX_SOURCES} hazard sources match; narrow with bbox or region_code"
            )
        features = []
        for level in levels:
            sources = [r for r in rows if r.level == level]
            if not sources:
                continue
            radius = radii[level]
            discs = [geodesic_disc(to_shape(r.geom), radius) for r in sources]
            zone = shapely.union_all(discs)
            ring = {"distance_m": radius, "inner_distance_m": 0.0, "disc": zone, "ring": zone}
            extra = {
                "level": level,
                "radius_m": radius,
                "source_ids": [r.id for r in sources],
                "sources": len(sources),
                **self.targets_inside(zone),
            }
            features.append(ring_feature(ring, extra))
        return {
            "type": "FeatureCollection",
            "features": features,
            "radii_m": {str(k): v for k, v in sorted(radii.items())},
        }

    def targets_inside(self, zone: Any) -> dict[str, Any]:
        """Protected targets intersecting ``zone``: count, population, by type, and a list."""
        pt = table_for("protected_targets")
        z = func.ST_GeomFromWKB(bindparam("zone", type_=LargeBinary), 4326)
        stmt = (
            select(pt.c.id, pt.c.name, pt.c.target_type, pt.c.population)
            .where(func.ST_Intersects(pt.c.geom, z))
            .order_by(pt.c.id)
        )
        rows = self.session.execute(stmt, {"zone": shapely.to_wkb(zone)}).all()
        by_type: dict[str, dict[str, int]] = {}
        for r in rows:
            slot = by_type.setdefault(r.target_type, {"count": 0, "population": 0})
            slot["count"] += 1
            slot["population"] += r.population or 0
        return {
            "protected_targets": len(rows),
            "population": sum(r.population or 0 for r in rows),
            "targets_by_type": dict(sorted(by_type.items())),
            "targets": [
                {k: getattr(r, k) for k in ("id", "name", "target_type", "population")}
                for r in rows[:MAX_TARGETS_LISTED]
            ],
        }
