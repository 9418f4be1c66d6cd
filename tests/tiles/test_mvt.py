"""Vector tiles hold exactly the features inside, at the right positions, with public fields."""

from __future__ import annotations

import morecantile
import pytest

from gis_onemap.categories import get_category
from gis_onemap.db.repository import FeatureRepository
from tests.samples import SQUARE, sample_feature
from tests.tiles.conftest import (
    CENTER,
    WMQ,
    Z,
    decode,
    expected_tile_xy,
    scatter,
    tile_url,
)

STEPS = (-1, 0, 1)
BLOCK = [morecantile.Tile(CENTER.x + dx, CENTER.y + dy, Z) for dx in STEPS for dy in STEPS]


@pytest.mark.parametrize("tile", BLOCK, ids=lambda t: f"{t.z}/{t.x}/{t.y}")
def test_z14_tile_holds_exactly_the_features_inside_at_their_positions(client, teams, tile):
    inside = {p.id: p for p in teams if WMQ.tile(p.lon, p.lat, Z) == tile}
    r = client.get(tile_url("rescue_teams", tile.z, tile.x, tile.y))
    if not inside:
        assert r.status_code == 204
        return
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    layer = decode(r.content)["rescue_teams"]
    got = {f["id"]: f for f in layer["features"]}
    assert set(got) == set(inside)
    for fid, placed in inside.items():
        x, y = got[fid]["geometry"]["coordinates"]
        ex, ey = expected_tile_xy(placed.lon, placed.lat, tile)
        assert abs(x - ex) <= 1 and abs(y - ey) <= 1, (fid, (x, y), (ex, ey))


def test_every_feature_is_in_exactly_one_tile_of_the_block(client, teams):
    seen: list[int] = []
    for tile in BLOCK:
        r = client.get(tile_url("rescue_teams", tile.z, tile.x, tile.y))
        if r.status_code == 200:
            seen += [f["id"] for f in decode(r.content)["rescue_teams"]["features"]]
    assert sorted(seen) == sorted(p.id for p in teams)


def test_deeper_zoom_positions(client, teams):
    placed = teams[0]
    tile = WMQ.tile(placed.lon, placed.lat, 18)
    r = client.get(tile_url("rescue_teams", 18, tile.x, tile.y))
    feature = {f["id"]: f for f in decode(r.content)["rescue_teams"]["features"]}[placed.id]
    ex, ey = expected_tile_xy(placed.lon, placed.lat, tile)
    x, y = feature["geometry"]["coordinates"]
    assert abs(x - ex) <= 1 and abs(y - ey) <= 1


def test_properties_are_the_tile_fields_and_never_personal(trusted_client, db_session):
    feature = sample_feature("rescue_teams")
    fid = FeatureRepository(db_session, get_category("rescue_teams")).create(feature)
    lon, lat = feature["geometry"]["coordinates"]
    tile = WMQ.tile(lon, lat, Z)
    # even a trusted client (who sees phones on /items) gets no personal data in tiles
    r = trusted_client.get(tile_url("rescue_teams", Z, tile.x, tile.y))
    props = {f["id"]: f["properties"] for f in decode(r.content)["rescue_teams"]["features"]}[fid]
    category = get_category("rescue_teams")
    expected = {f.name: feature["properties"][f.name] for f in category.tile_fields}
    # list fields travel as comma-separated text (test_list_fields_are_comma_separated_text)
    expected = {k: ",".join(v) if isinstance(v, list) else v for k, v in expected.items()}
    assert props == expected
    assert "phone" not in props and "leader" not in props
    assert feature["properties"]["phone"].encode() not in r.content


def test_list_fields_are_comma_separated_text(client, db_session):
    feature = sample_feature("experts")
    feature["properties"]["specialties"] = ["flood", "geology"]
    fid = FeatureRepository(db_session, get_category("experts")).create(feature)
    lon, lat = feature["geometry"]["coordinates"]
    tile = WMQ.tile(lon, lat, Z)
    layer = decode(client.get(tile_url("experts", Z, tile.x, tile.y)).content)["experts"]
    props = {f["id"]: f["properties"] for f in layer["features"]}[fid]
    assert props["specialties"] == "flood,geology"
    assert "phone" not in props and "email" not in props


def test_polygon_is_in_every_tile_it_touches_and_clipped(client, db_session):
    fid = FeatureRepository(db_session, get_category("shelters")).create(
        sample_feature("shelters", SQUARE)
    )
    ring = SQUARE["coordinates"][0]
    lons, lats = [c[0] for c in ring], [c[1] for c in ring]
    touched = set(WMQ.tiles(min(lons), min(lats), max(lons), max(lats), [Z]))
    assert len(touched) > 1  # the square spans several z14 tiles
    around = {
        morecantile.Tile(t.x + dx, t.y + dy, Z) for t in touched for dx in STEPS for dy in STEPS
    }
    for tile in around:
        r = client.get(tile_url("shelters", Z, tile.x, tile.y))
        ids = [f["id"] for f in decode(r.content)["shelters"]["features"]] if r.content else []
        assert (fid in ids) == (tile in touched), tile
        if fid in ids:
            geom = decode(r.content)["shelters"]["features"][0]["geometry"]
            assert geom["type"] == "Polygon"
            xs = [c[0] for c in geom["coordinates"][0]]
            assert min(xs) >= -64 and max(xs) <= 4096 + 64  # clipped to the tile + buffer


def test_all_collections_tile_has_one_layer_per_collection(client, db_session, teams):
    shelters = scatter(db_session, "shelters", 10, seed=3)
    tile = WMQ.tile(shelters[0].lon, shelters[0].lat, Z)
    layers = decode(client.get(f"/tiles/WebMercatorQuad/{Z}/{tile.x}/{tile.y}").content)
    expected = {
        "shelters": {p.id for p in shelters if WMQ.tile(p.lon, p.lat, Z) == tile},
        "rescue_teams": {p.id for p in teams if WMQ.tile(p.lon, p.lat, Z) == tile},
    }
    assert {k: {f["id"] for f in v["features"]} for k, v in layers.items()} == {
        k: v for k, v in expected.items() if v
    }
    only = decode(
        client.get(f"/tiles/WebMercatorQuad/{Z}/{tile.x}/{tile.y}?collections=shelters").content
    )
    assert set(only) == {"shelters"}


def test_low_zoom_clusters_count_every_point(client, db_session, teams):
    z = 10
    total = 0
    for tile in {WMQ.tile(p.lon, p.lat, z) for p in teams}:
        inside = [p for p in teams if WMQ.tile(p.lon, p.lat, z) == tile]
        r = client.get(tile_url("rescue_teams", z, tile.x, tile.y))
        features = decode(r.content)["rescue_teams"]["features"]
        assert sum(f["properties"]["point_count"] for f in features) == len(inside)
        total += len(inside)
        for f in features:
            x, y = f["geometry"]["coordinates"]
            assert 0 <= x <= 4096 and 0 <= y <= 4096
            if f["properties"]["point_count"] == 1:  # a lone point keeps its id and properties
                assert f["id"] in {p.id for p in inside} and "name" in f["properties"]
            else:
                assert f["properties"]["cluster"] is True and "name" not in f["properties"]
    assert total == len(teams)
    # 60 points within three z14 tiles share z10 grid cells: fewer features than points
    tile = WMQ.tile(teams[0].lon, teams[0].lat, 8)
    features = decode(client.get(tile_url("rescue_teams", 8, tile.x, tile.y)).content)[
        "rescue_teams"
    ]["features"]
    assert len(features) < len(teams) == sum(f["properties"]["point_count"] for f in features)


@pytest.mark.parametrize("z", [6, 10, 11])
def test_clusters_are_grid_cells_at_the_mean_of_their_points(client, teams, z):
    """Group the points on the 32×32 grid of each tile independently (pyproj + morecantile)."""
    cell = 4096 / 32
    expected: dict[tuple, list] = {}
    for p in teams:
        tile = WMQ.tile(p.lon, p.lat, z)
        ex, ey = expected_tile_xy(p.lon, p.lat, tile)
        expected.setdefault((tile, int(ex // cell), int(ey // cell)), []).append(p)
    for tile in {key[0] for key in expected}:
        r = client.get(tile_url("rescue_teams", z, tile.x, tile.y))
        features = decode(r.content)["rescue_teams"]["features"]
        groups = [g for (t, _, _), g in expected.items() if t == tile]
        assert len(features) == len(groups)
        for group in groups:
            mean = (sum(p.lon for p in group) / len(group), sum(p.lat for p in group) / len(group))
            ex, ey = expected_tile_xy(*mean, tile)
            match = [
                f
                for f in features
                if abs(f["geometry"]["coordinates"][0] - ex) <= 1
                and abs(f["geometry"]["coordinates"][1] - ey) <= 1
            ]
            assert len(match) == 1
            assert match[0]["properties"]["point_count"] == len(group)


def test_property_and_cql2_filters_as_on_items(client, teams):
    tile = CENTER
    inside = [p for p in teams if WMQ.tile(p.lon, p.lat, Z) == tile]
    # scatter() gives team i: headcount i, tier cycling professional/commando/main
    index = {p.id: i for i, p in enumerate(teams)}
    r = client.get(tile_url("rescue_teams", Z, tile.x, tile.y, "?tier=professional,commando"))
    got = {f["id"] for f in decode(r.content)["rescue_teams"]["features"]}
    assert got == {p.id for p in inside if index[p.id] % 3 in (0, 1)}
    r = client.get(tile_url("rescue_teams", Z, tile.x, tile.y, "?filter=headcount >= 30"))
    got = {f["id"] for f in decode(r.content)["rescue_teams"]["features"]}
    assert got == {p.id for p in inside if index[p.id] >= 30}
    # the same filter through /items gives the same ids inside the tile
    b = WMQ.bounds(tile)
    items = client.get(
        "/collections/rescue_teams/items",
        params={"filter": "headcount >= 30", "bbox": f"{b.left},{b.bottom},{b.right},{b.top}"},
    ).json()
    assert {f["id"] for f in items["features"]} == got


def test_a_tile_too_dense_for_plain_features_is_clustered(client, db_session):
    """More than MAX_TILE_FEATURES points in one z14 tile: clustered, all counted, small."""
    from sqlalchemy import text

    from gis_onemap.tiles.layers import MAX_TILE_FEATURES

    n = MAX_TILE_FEATURES + 100
    b = WMQ.bounds(CENTER)
    db_session.execute(
        text(
            "INSERT INTO depots (name, geom) SELECT 'd' || g, ST_SetSRID(ST_MakePoint("
            ":w + (g % 97 + 0.5) / 97 * (:e - :w), :s + (g / 97 + 0.5) / 60 * (:n - :s)), 4326) "
            "FROM generate_series(0, :count - 1) g"
        ),
        {"w": b.left, "e": b.right, "s": b.bottom, "n": b.top, "count": n},
    )
    r = client.get(tile_url("depots", Z, CENTER.x, CENTER.y))
    assert r.status_code == 200
    features = decode(r.content)["depots"]["features"]
    assert sum(f["properties"]["point_count"] for f in features) == n
    assert len(features) <= 32 * 32
    assert len(r.content) < 500 * 1024
