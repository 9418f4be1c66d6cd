"""The risk map as a Mapbox vector tile: the cells touching the tile, scored like the GeoJSON
(the grid is anchored to the UTM zone, so neighbouring tiles draw the same cells), encoded
by PostGIS ``ST_AsMVT`` (layer ``risk``; properties: class, colour, score, L, C, cell id)."""

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
         u.cell, u.risk_class, u.colour, u.score, u.likelihood, u.consequence
  FROM unnest(CAST(:g AS bytea[]), CAST(:cell AS text[]), CAST(:cls AS text[]),
              CAST(:colour AS text[]), CAST(:score AS int[]), CAST(:l AS int[]),
              CAST(:c AS int[]))
       AS u(g, cell, risk_class, colour, score, likelihood, consequence)
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
    data = service.session.execute(
        text(_MVT_SQL),
        {
            "z": z, "x": x, "y": y, "g": geoms,
            "cell": [p["cell"] for p in props], "cls": [p["risk_class"] for p in props],
            "colour": [p["colour"] for p in props], "score": [int(p["score"]) for p in props],
            "l": [p["likelihood"] for p in props], "c": [p["consequence"] for p in props],
        },
    ).scalar()  # fmt: skip
    return bytes(data or b"")
