"""Tile test helpers: features scattered over known tiles, decoding, independent tile maths."""

from __future__ import annotations

import gzip
import random
from dataclasses import dataclass
from typing import Any

import mapbox_vector_tile
import morecantile
import pytest
from pyproj import Transformer

from gis_onemap.categories import get_category
from gis_onemap.db.repository import FeatureRepository
from tests.samples import ZHANJIANG, point, sample_feature

WMQ = morecantile.tms.get("WebMercatorQuad")
TO_MERCATOR = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
EXTENT = 4096
Z = 14
#: The z14 tile holding Zhanjiang's centre, and the 3×3 block of tiles around it.
CENTER = WMQ.tile(*ZHANJIANG, Z)


def tile_url(collection: str, z: int, x: int, y: int, query: str = "") -> str:
    return f"/collections/{collection}/tiles/WebMercatorQuad/{z}/{x}/{y}{query}"


def decode(content: bytes) -> dict[str, Any]:
    """Decode an MVT (gzip or not) with tile coordinates y-down, as MVT stores them."""
    if content[:2] == b"\x1f\x8b":
        content = gzip.decompress(content)
    return mapbox_vector_tile.decode(content, default_options={"y_coord_down": True})


def expected_tile_xy(lon: float, lat: float, tile: morecantile.Tile) -> tuple[float, float]:
    """Where a lon/lat lands in a tile's 0–4096 grid, computed with pyproj + morecantile."""
    mx, my = TO_MERCATOR.transform(lon, lat)
    b = WMQ.xy_bounds(tile)
    return (
        (mx - b.left) / (b.right - b.left) * EXTENT,
        (b.top - my) / (b.top - b.bottom) * EXTENT,
    )


@dataclass
class Placed:
    """A feature the test created: its id and lon/lat."""

    id: int
    lon: float
    lat: float


def block_bounds() -> tuple[float, float, float, float]:
    """lon/lat bounds of the 3×3 block of z14 tiles centred on :data:`CENTER`."""
    nw = WMQ.bounds(morecantile.Tile(CENTER.x - 1, CENTER.y - 1, Z))
    se = WMQ.bounds(morecantile.Tile(CENTER.x + 1, CENTER.y + 1, Z))
    return nw.left, se.bottom, se.right, nw.top


def scatter(session: Any, collection: str, n: int, seed: int = 7) -> list[Placed]:
    """Insert ``n`` sample features at random points over the 3×3 block; return them."""
    rng = random.Random(seed)
    w, s, e, nn = block_bounds()
    features = []
    coords = []
    for i in range(n):
        lon, lat = rng.uniform(w, e), rng.uniform(s, nn)
        feature = sample_feature(collection, point(lon, lat))
        feature["properties"]["name"] = f"{collection} {i}"
        if collection == "rescue_teams":
            feature["properties"]["headcount"] = i
            feature["properties"]["tier"] = ("professional", "commando", "main")[i % 3]
        features.append(feature)
        coords.append((lon, lat))
    ids = FeatureRepository(session, get_category(collection)).insert_many(features)
    return [Placed(fid, lon, lat) for fid, (lon, lat) in zip(ids, coords, strict=True)]


@pytest.fixture
def teams(db_session: Any) -> list[Placed]:
    """60 rescue teams scattered over the 3×3 block of z14 tiles around Zhanjiang."""
    return scatter(db_session, "rescue_teams", 60)
