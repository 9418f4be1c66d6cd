"""The /map page's HTML, static assets (digests, caching, compression) and base-map tiles."""

from __future__ import annotations

import gzip
import json
import re

import brotli
import mapbox_vector_tile
import pytest
from shapely.geometry import shape

from gis_onemap.api.routers.web import IMMUTABLE, STATIC_DIR, asset_digest
from gis_onemap.categories import CATEGORIES
from gis_onemap.web import basemap

ASSET_URL = re.compile(r'(?:src|href)="(/map/static/([0-9a-f]{16})/([^"]+))"')


def page_assets(html: str) -> list[tuple[str, str, str]]:
    return ASSET_URL.findall(html)


def page_config(html: str) -> dict:
    m = re.search(r'<script id="onemap-config" type="application/json">(.*?)</script>', html, re.S)
    assert m is not None
    return json.loads(m.group(1))


def test_map_page_references_only_local_assets(client):
    r = client.get("/map")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    # revalidated each time; "private" added by gis_onemap.api.security (not a public response)
    assert r.headers["cache-control"] == "no-cache, private"
    html = r.text
    # nothing outside the app: no absolute URL in any src/href
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)
    assets = page_assets(html)
    names = {a[2] for a in assets}
    assert {"vendor/maplibre-gl/dist/maplibre-gl.js", "app.js", "app.css"} <= names
    for _, digest, rel in assets:
        assert digest == asset_digest(rel)


def test_map_page_config_comes_from_the_category_definitions(client):
    config = page_config(client.get("/map").text)
    assert [c["id"] for c in config["categories"]] == [c.id for c in CATEGORIES]
    hidden = 0
    for cdef, c in zip(CATEGORIES, config["categories"], strict=True):
        names = {f["name"] for f in c["fields"]}
        personal = {f.name for f in cdef.all_fields if f.personal}
        assert not (names & personal)  # phones and e-mails never reach the page
        assert names == {f.name for f in cdef.public_fields}
        assert c["zh"] == cdef.zh and c["color"] == cdef.color
        hidden += len(personal)
    assert hidden >= 5  # experts, teams, depots, hazards, targets have contact fields
    assert config["tiles_url"] == "/tiles/WebMercatorQuad/{z}/{x}/{y}"
    assert config["surroundings_url"] == "/analysis/surroundings"
    assert len(config["districts"]) == 10  # Zhanjiang and its 9 districts


@pytest.mark.parametrize(
    ("accept", "encoding"), [("gzip, deflate, br", "br"), ("gzip", "gzip"), ("identity", None)]
)
def test_static_assets_are_compressed_and_cached_for_a_year(client, accept, encoding):
    html = client.get("/map").text
    url, digest, rel = next(a for a in page_assets(html) if a[2].endswith("maplibre-gl.js"))
    r = client.get(url, headers={"Accept-Encoding": accept})
    assert r.status_code == 200
    assert r.headers["cache-control"] == IMMUTABLE
    assert r.headers["etag"] == f'"{digest}"'
    assert r.headers.get("content-encoding") == encoding
    assert r.headers["content-type"].startswith("text/javascript")
    raw = (STATIC_DIR / rel).read_bytes()
    assert r.content == raw  # httpx decodes br and gzip
    if encoding is not None:
        size = int(r.headers["content-length"])
        assert size < len(raw) / 3  # minified JS compresses 3-4x
        again = client.get(url, headers={"Accept-Encoding": accept})
        assert again.content == raw
    again = client.get(url, headers={"If-None-Match": f'"{digest}"'})
    assert again.status_code == 304 and again.content == b""


def test_encoded_bodies_decode_to_the_file():
    """The pre-compressed bodies, decoded by the reference libraries, equal the file."""
    from gis_onemap.api.routers.web import _encoded

    path = STATIC_DIR / "app.js"
    mtime = path.stat().st_mtime_ns
    assert brotli.decompress(_encoded(path, mtime, "br")) == path.read_bytes()
    assert gzip.decompress(_encoded(path, mtime, "gzip")) == path.read_bytes()


def test_stale_digest_is_served_but_not_cached(client):
    r = client.get("/map/static/0000000000000000/app.js")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-cache, private"


@pytest.mark.parametrize(
    "path",
    [
        "/map/static/abc/../../api/app.py",
        "/map/static/abc/%2e%2e/%2e%2e/settings.py",
        "/map/static/abc/nope.js",
        "/map/static/ABC!/app.js",
    ],
)
def test_bad_static_paths_are_clear_4xx(client, path):
    r = client.get(path)
    assert 400 <= r.status_code < 500
    assert r.headers["content-type"].startswith("application/")
    assert "Traceback" not in r.text


def test_basemap_tile_has_land_city_and_districts(client):
    # the tile holding central Zhanjiang at zoom 10
    tile = next(basemap.TMS.tiles(110.36, 21.27, 110.36, 21.27, [10]))
    r = client.get(f"/map/basemap/10/{tile.x}/{tile.y}.mvt")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert "max-age" in r.headers["cache-control"]
    layers = mapbox_vector_tile.decode(r.content)
    assert {"land", "city", "districts"} <= set(layers)
    names = {f["properties"]["name"] for f in layers["districts"]["features"]}
    assert "赤坎区" in names
    # a tile far out at sea has no land at all
    sea = next(basemap.TMS.tiles(115.0, 15.0, 115.0, 15.0, [10]))
    assert client.get(f"/map/basemap/10/{sea.x}/{sea.y}.mvt").content == b""


def test_basemap_districts_follow_the_shipped_geojson():
    data = json.loads(basemap.DISTRICTS_GEOJSON.read_text(encoding="utf-8"))
    districts = basemap.districts()
    assert [d.code for d in districts] == [f["properties"]["region_code"] for f in data["features"]]
    for d, f in zip(districts, data["features"], strict=True):
        g = shape(f["geometry"])
        assert tuple(round(v, 5) for v in g.bounds) == d.bbox
        assert g.buffer(1e-9).contains(shape({"type": "Point", "coordinates": d.label})) or (
            d.level == "municipal"
        )


@pytest.mark.parametrize(
    "path", ["/map/basemap/3/8/0.mvt", "/map/basemap/25/0/0.mvt", "/map/basemap/2/-1/0.mvt"]
)
def test_basemap_bad_tiles_are_4xx(client, path):
    r = client.get(path)
    assert 400 <= r.status_code < 500
    assert "detail" in r.json() or "title" in r.json() or "description" in r.json()
