"""Read-only access to the population layer (table ``population``, built by the shelters work).

The layer is optional: every reader checks ``to_regclass('population')`` first and says
"unknown" (``None``) when it is absent, never zero. An empty table (the migration creates it, the
loader fills it) counts as absent too: nothing loaded is "unknown", not "nobody lives here".
Polygons count by the share of their area inside a zone (uniform density inside a polygon: a
simplification); points count whole.
"""

from __future__ import annotations

from typing import Any

import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

#: Residents of a zone: area-weighted for polygons, whole for points; day/night when recorded.
_INSIDE_SQL = """
WITH z AS (SELECT ST_GeomFromWKB(:zone, 4326) AS g)
SELECT coalesce(sum(
         coalesce(CASE WHEN :time = 'night' THEN p.population_night ELSE p.population_day END,
                  p.population)
         * CASE WHEN ST_Dimension(p.geom) < 2 THEN 1.0
                ELSE ST_Area(ST_Intersection(p.geom, z.g)::geography)
                     / nullif(ST_Area(p.geom::geography), 0) END), 0),
       count(*)
FROM population p, z
WHERE ST_Intersects(p.geom, z.g)
"""


class PopulationLayer:
    """The ``population`` table when it exists (``present``), else answers "unknown"."""

    def __init__(self, session: Session) -> None:
        self.session = session
        exists = session.execute(text("SELECT to_regclass('population') IS NOT NULL")).scalar()
        # two statements: a query naming a missing table would not even parse
        self.present = bool(exists) and bool(
            session.execute(text("SELECT EXISTS (SELECT 1 FROM population)")).scalar()
        )

    def inside(self, zone: shapely.Geometry, time: str = "day") -> dict[str, Any]:
        """Residents inside ``zone`` (rounded) and how many features counted, or unknown."""
        if not self.present:
            return {"residents": None, "note": "population layer not loaded: population unknown"}
        total, n = self.session.execute(
            text(_INSIDE_SQL), {"zone": shapely.to_wkb(zone), "time": time}
        ).one()
        return {"residents": round(float(total or 0)), "features": int(n)}

    def points(self, bbox: tuple[float, float, float, float], time: str = "day") -> list[Any]:
        """(lon, lat, residents) of every feature (polygons at a point on their surface) in bbox."""
        if not self.present:
            return []
        return list(
            self.session.execute(
                text(
                    "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)),"
                    " coalesce(CASE WHEN :time = 'night' THEN population_night"
                    " ELSE population_day END, population)"
                    " FROM population WHERE geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)"
                ),
                {"x0": bbox[0], "y0": bbox[1], "x1": bbox[2], "y1": bbox[3], "time": time},
            ).all()
        )
