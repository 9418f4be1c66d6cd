"""Bad tile requests get clear 4xx errors; empty tiles are 204; PNG tiles draw the features."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from gis_onemap.categories import get_category
from gis_onemap.db.repository import FeatureRepository
from gis_onemap.tiles.raster import FILL_ALPHA
from tests.samples import SQUARE, sample_feature
from tests.tiles.conftest import WMQ, Z, expected_tile_xy

MVT = "/collections/rescue_teams/tiles/WebMercatorQuad"


@pytest.mark.parametrize(
    "path, status",
    [
        (f"{MVT}/23/0/0", 400),
        (f"{MVT}/-1/0/0", 400),
        (f"{MVT}/2/4/0", 404),
        (f"{MVT}/2/0/4", 404),
        (f"{MVT}/2/-1/0", 400),
        (f"{MVT}/0/1/0", 404),
        (f"{MVT}/2/1.5/0", 400),
        (f"{MVT}/x/1/0", 400),
        (f"{MVT}/2/1/abc", 400),
        (f"{MVT}/99999999999999999999/1/0", 400),
        ("/collections/nowhere/tiles/WebMercatorQuad/2/1/1", 404),
        ("/collections/rescue_teams/tiles/WorldCRS84Quad/2/1/1", 404),
        ("/collections/rescue_teams/tiles/WorldCRS84Quad/tilejson.json", 404),
        ("/tileMatrixSets/Nope", 404),
        ("/tiles/WebMercatorQuad/23/0/0", 400),
        ("/tiles/WebMercatorQuad/3/8/0", 404),
        ("/tiles/WebMercatorQuad/3/1/1?collections=nope", 404),
        ("/tiles/WebMercatorQuad/3/1/1?collections=,", 400),
        ("/tiles/WebMercatorQuad/3/1/1?tier=professional", 400),
        (f"{MVT}/3/1/1?bbox=1,2,3,4", 400),
        (f"{MVT}/3/1/1?nonsense=1", 400),
        (f"{MVT}/3/1/1?tier=volcano", 400),
        (f"{MVT}/3/1/1?headcount=many", 400),
        (f"{MVT}/3/1/1?filter=headcount >>> 2", 400),
        (f"{MVT}/3/1/1?filter=phone = '1'", 400),
        (f"{MVT}/3/1/1?datetime=yesterday", 400),
        ("/collections/rescue_teams/map/tiles/WebMercatorQuad/23/0/0.png", 400),
        ("/collections/rescue_teams/map/tiles/WebMercatorQuad/1/2/0.png", 404),
        ("/collections/rescue_teams/map/tiles/WebMercatorQuad/1/a/0.png", 400),
    ],
)
def test_bad_tile_requests(client, path, status):
    r = client.get(path)
    assert r.status_code == status, r.text
    body = r.json()
    assert body["status"] == status and body["description"]


def test_empty_tile_is_204_without_body(client):
    # the far south Pacific: nothing of the one map there
    r = client.get(f"{MVT}/{Z}/0/{(1 << Z) - 1}")
    assert r.status_code == 204 and r.content == b""
    assert r.headers["etag"]
    png = client.get(f"/collections/rescue_teams/map/tiles/WebMercatorQuad/{Z}/0/0.png")
    assert png.status_code == 204


def _rgba_at(image, x, y):
    return image.getpixel((min(255, max(0, int(x))), min(255, max(0, int(y)))))


def test_png_tile_draws_points_in_the_category_colour(client, teams):
    target = teams[0]
    tile = WMQ.tile(target.lon, target.lat, Z)
    r = client.get(f"/collections/rescue_teams/map/tiles/WebMercatorQuad/{Z}/{tile.x}/{tile.y}.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(r.content)).convert("RGBA")
    assert image.size == (256, 256)
    ex, ey = expected_tile_xy(target.lon, target.lat, tile)
    red, green, blue, alpha = _rgba_at(image, ex / 16, ey / 16)
    colour = get_category("rescue_teams").color  # "#fdae61"
    expected = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    assert alpha == 255
    assert max(abs(a - b) for a, b in zip((red, green, blue), expected, strict=True)) <= 8
    # far from every point the image is transparent
    inside = [p for p in teams if WMQ.tile(p.lon, p.lat, Z) == tile]
    pixels = [(x / 16, y / 16) for x, y in (expected_tile_xy(p.lon, p.lat, tile) for p in inside)]
    empty = next(
        (x, y)
        for x in range(0, 256, 8)
        for y in range(0, 256, 8)
        if all((x - px) ** 2 + (y - py) ** 2 > 15**2 for px, py in pixels)
    )
    assert _rgba_at(image, *empty)[3] == 0


def test_png_tile_fills_areas_translucently(client, db_session):
    FeatureRepository(db_session, get_category("shelters")).create(
        sample_feature("shelters", SQUARE)
    )
    ring = SQUARE["coordinates"][0]
    cx, cy = sum(c[0] for c in ring[:4]) / 4, sum(c[1] for c in ring[:4]) / 4
    tile = WMQ.tile(cx, cy, 13)
    r = client.get(f"/collections/shelters/map/tiles/WebMercatorQuad/13/{tile.x}/{tile.y}.png")
    image = Image.open(io.BytesIO(r.content)).convert("RGBA")
    ex, ey = expected_tile_xy(cx, cy, tile)
    alpha = _rgba_at(image, ex / 16, ey / 16)[3]
    assert 0 < alpha < 255 and abs(alpha - FILL_ALPHA) <= 10


@pytest.mark.parametrize(
    "query, status",
    [("?tier=volcano", 400), ("?filter=headcount >>> 2", 400), ("?nonsense=1", 400)],
)
def test_bad_filters_on_the_production_path(settings, query, status):
    """Without a session override, a bad filter is found when rendering on the pool: 400."""
    from fastapi.testclient import TestClient

    from gis_onemap.api.app import create_app

    with TestClient(create_app(settings)) as client:
        r = client.get(f"{MVT}/3/6/3{query}")
        assert r.status_code == status and r.json()["status"] == status
        assert client.get(f"{MVT}/3/6/3").status_code in (200, 204)
        client.app.state.tile_service.close()
