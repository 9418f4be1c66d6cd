"""``avoid=hazard_zones``: close the roads inside the hazard zones near an incident (per request).

The zones are the ones of :mod:`gis_onemap.analysis.hazard_zones` (a geodesic disc of the level's
radius around each major hazard source). The zones closed are those that contain the incident or
lie within ``near_m`` (setting ``road_hazard_zone_near_m``) of it: far-away plants do not matter
to this incident and would only slow the query.

A zone that contains a route's start or end stays open for that route: one must be able to drive
out of a zone one is in (evacuation) and into the zone where the incident is (the rescue teams).
Routing then avoids every *other* zone; inside an open zone the fastest way is taken.

The zones go into the request's areas to avoid
(:func:`gis_onemap.roads.routing.set_avoid_areas`), which the pgRouting edges query reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis_onemap.analysis.buffers import geodesic_disc
from gis_onemap.analysis.inputs import Origin
from gis_onemap.roads.routing import set_avoid_areas

#: Most hazard sources considered around one incident (bounds the work of one request).
MAX_ZONES = 500

_SOURCES_SQL = """
SELECT h.id, h.level, ST_AsBinary(h.geom),
       ST_Distance(geography(h.geom), geography(ST_GeomFromEWKT(:p))) AS d
FROM hazard_sources h
WHERE h.level IS NOT NULL
  AND ST_DWithin(geography(h.geom), geography(ST_GeomFromEWKT(:p)), :reach)
ORDER BY d, h.id
LIMIT :limit
"""


@dataclass
class HazardAvoidance:
    """The zones closed for a request and the ones left open (they hold a start or end)."""

    closed: list[dict[str, Any]] = field(default_factory=list)
    kept_open: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """What a response reports: the hazard sources whose zones were avoided or kept open."""
        return {
            "avoided_hazard_sources": [z["source_id"] for z in self.closed],
            "open_hazard_sources": [z["source_id"] for z in self.kept_open],
        }


def zone_of(source_geom: Any, radius_m: float) -> shapely.Geometry:
    """A hazard source's zone: the geodesic disc of ``radius_m`` around it (WGS84)."""
    return geodesic_disc(source_geom, radius_m)


def avoid_hazard_zones(
    session: Session,
    incident: Origin,
    radii: Mapping[int, float],
    near_m: float,
    ends: Sequence[Origin] = (),
) -> HazardAvoidance:
    """Put the zones near ``incident`` into ``road_avoid``, except those holding an ``ends``."""
    reach = max(radii.values()) + near_m
    rows = session.execute(
        text(_SOURCES_SQL), {"p": incident.ewkt, "reach": reach, "limit": MAX_ZONES}
    ).all()
    points = [shapely.Point(e.lon, e.lat) for e in ends]
    result = HazardAvoidance()
    for sid, level, geom, distance in rows:
        radius = radii.get(int(level))
        if radius is None or distance > radius + near_m:
            continue  # this level's zone does not come near enough
        zone = zone_of(shapely.from_wkb(bytes(geom)), radius)
        info = {"source_id": int(sid), "level": int(level), "radius_m": radius, "zone": zone}
        if any(zone.covers(p) for p in points):
            result.kept_open.append(info)
        else:
            result.closed.append(info)
    set_avoid_areas(session, [shapely.to_wkb(z["zone"], hex=True) for z in result.closed])
    return result
