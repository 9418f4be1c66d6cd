"""The risk map as a Mapbox vector tile.

The cells touching the tile, scored like the GeoJSON (the grid is anchored to the UTM zone, so
neighbouring tiles draw the same cells), encoded by PostGIS ``ST_AsMVT`` (layer ``risk``;
properties: class, colour, score, L, C, cell id and the main inputs: sources reaching it, their best
level, people exposed, vulnerable targets, shelter capacity in reach — the full inputs are in the
GeoJSON).
"""

from __future__ import annotations

from typing import Any

import morecantile
import shapely
import shapely.geometry
from sqlalchemy import text

from gis_onemap.hazards.grid import CellKind
from gis_onemap.hazards.risk import RiskMapService

TMS = morecantile.tms.get("WebMercatorQuad")

_MVT_SQL = """
SELECT ST_AsMVT(t, 'risk', 4096, 'geom') FROM (
  SELECT ST_AsMVTGeom(ST_Transform(ST_GeomFromWKB(u.g, 4326), 3857),
                      ST_TileEnvelope(:z, :x, :y), 4096, 64, true) AS geom,
         u.cell, u.risk_class, u.colour, u.score, u.likelihood, u.consequence,
         u.hazard_sources, u.best_level, u.exposed, u.vulnerable_targets,
         u.shelter_capacity_in_reach
  FROM unnest(CAST(:g AS bytea[]), CAST(:cell AS text[]), CAST(:cls AS text[]),
              CAST(:colour AS text[]), CAST(:score AS int[]), CAST(:l AS int[]),
              CAST(:c AS int[]), CAST(:n AS int[]), CAST(:best AS int[]),
              CAST(:exposed AS bigint[]), CAST(:vuln AS int[]), CAST(:cap AS bigint[]))
       AS u(g, cell, risk_class, colour, score, likelihood, consequence, hazard_sources,
            best_level, exposed, vulnerable_targets, shelter_capacity_in_reach)
) t WHERE t.geom IS NOT NULL
"""


def risk_tile(
    service: RiskMapService, z: int, x: int, y: int, kind: CellKind, size_m: float
) -> bytes:
    """The MVT bytes of tile z/x/y (an empty tile when no cell touches it)."""
    b = TMS.bounds(morecantile.Tile(x, y, z))
    bbox = (b.left, max(b.bottom, -85.0), b.right, min(b.top, 85.0))
    fc = service.compute(service.grid(kind, size_m, bbox))
    feats: list[dict[str, Any]] = fc["features"]
    geoms = [shapely.to_wkb(shapely.geometry.shape(f["geometry"])) for f in feats]
    props = [f["properties"] for f in feats]
    inputs = [p["inputs"] for p in props]
    data = service.session.execute(
        text(_MVT_SQL),
        {
            "z": z, "x": x, "y": y, "g": geoms,
            "cell": [p["cell"] for p in props], "cls": [p["risk_class"] for p in props],
            "colour": [p["colour"] for p in props], "score": [int(p["score"]) for p in props],
            "l": [p["likelihood"] for p in props], "c": [p["consequence"] for p in props],
            "n": [i["hazard_sources"] for i in inputs], "best": [i["best_level"] for i in inputs],
            "exposed": [i["exposed"] for i in inputs],
            "vuln": [i["vulnerable_targets"] for i in inputs],
            "cap": [i["shelter_capacity_in_reach"] for i in inputs],
        },
    ).scalar()  # fmt: skip
    return bytes(data or b"")
