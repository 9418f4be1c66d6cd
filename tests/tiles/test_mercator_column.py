"""The stored Web-Mercator geometry (``geom_3857``, migration 0012) that tiles read.

PostgreSQL keeps it equal to ``geom`` in EPSG:3857 through inserts, edits and bulk updates
(checked against pyproj), nobody can write it, the audit log does not show it, and tiles
rendered on a raw psycopg connection (the tile pool's path, binary results) put features
where morecantile says.
"""

from __future__ import annotations

import morecantile
import pytest
from pyproj import Transformer
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from gis_onemap.categories import CATEGORIES, get_category
from gis_onemap.db.bulk import update_features
from gis_onemap.db.repository import FeatureRepository
from gis_onemap.db.tables import table_for
from gis_onemap.tiles.grid import TileIndex
from gis_onemap.tiles.service import TileFilters, TileService
from gis_onemap.tiles.sources import PooledSource
from tests.samples import sample_feature
from tests.tiles.conftest import WMQ, decode, expected_tile_xy

TO_MERCATOR = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)


def _stored(db_session, table: str, fid: int) -> tuple[float, float, int]:
    row = db_session.execute(
        text(f"SELECT ST_X(geom_3857), ST_Y(geom_3857), ST_SRID(geom_3857) FROM {table} "
             "WHERE id = :id"),
        {"id": fid},
    ).one()  # fmt: skip
    return row[0], row[1], row[2]


@pytest.mark.parametrize("category", [c.id for c in CATEGORIES])
def test_every_category_stores_the_mercator_geometry_on_insert_and_edit(db_session, category):
    repo = FeatureRepository(db_session, get_category(category))
    feature = sample_feature(category)
    [fid] = repo.insert_many([feature])
    lon, lat = feature["geometry"]["coordinates"][:2]
    x, y, srid = _stored(db_session, category, fid)
    ex, ey = TO_MERCATOR.transform(lon, lat)
    assert srid == 3857
    assert abs(x - ex) < 0.01 and abs(y - ey) < 0.01
    # an edit of geom moves it too
    db_session.execute(
        text(f"UPDATE {category} SET geom = ST_Translate(geom, 0.01, 0.02) WHERE id = :id"),
        {"id": fid},
    )
    x, y, _ = _stored(db_session, category, fid)
    ex, ey = TO_MERCATOR.transform(lon + 0.01, lat + 0.02)
    assert abs(x - ex) < 0.01 and abs(y - ey) < 0.01


def test_the_bulk_update_of_an_import_moves_it(db_session):
    from shapely.geometry import Point

    table = table_for("rescue_teams")
    repo = FeatureRepository(db_session, get_category("rescue_teams"))
    feature = sample_feature("rescue_teams")
    [fid] = repo.insert_many([feature])
    lon, lat = feature["geometry"]["coordinates"][:2]
    values = {"name": "移动后", "tier": "main", "geom": Point(lon + 0.1, lat - 0.1)}
    assert update_features(db_session, table, [(fid, values)]) == 1
    x, y, _ = _stored(db_session, "rescue_teams", fid)
    ex, ey = TO_MERCATOR.transform(lon + 0.1, lat - 0.1)
    assert abs(x - ex) < 0.01 and abs(y - ey) < 0.01


def test_nobody_writes_it(db_session):
    repo = FeatureRepository(db_session, get_category("shelters"))
    [fid] = repo.insert_many([sample_feature("shelters")])
    with pytest.raises(DBAPIError, match="generated column"), db_session.begin_nested():
        db_session.execute(
            text("UPDATE shelters SET geom_3857 = ST_MakePoint(0, 0) WHERE id = :id"), {"id": fid}
        )


def test_audit_history_leaves_the_derived_column_out(trusted_client):
    body = sample_feature("depots")
    r = trusted_client.post("/collections/depots/items", json=body)
    assert r.status_code == 201, r.text
    fid = int(r.headers["Location"].rsplit("/", 1)[1])
    history = trusted_client.get(f"/collections/depots/items/{fid}/history")
    assert history.status_code == 200, history.text
    images = [e["after"] for e in history.json()["entries"] if isinstance(e.get("after"), dict)]
    assert images and all("geom" in i and "geom_3857" not in i for i in images)


def test_pooled_source_renders_binary_tiles_at_the_right_positions(db_session, settings):
    """The tile pool's path: raw psycopg, binary results (here on the test's connection, so it
    sees the uncommitted features)."""
    from tests.tiles.conftest import scatter

    placed = scatter(db_session, "rescue_teams", 40, seed=11)
    tile = WMQ.tile(placed[0].lon, placed[0].lat, 14)
    inside = {p.id: p for p in placed if WMQ.tile(p.lon, p.lat, 14) == tile}
    conn = db_session.connection().connection.driver_connection
    service = TileService(settings)
    try:
        raw = service.query_mvt(
            PooledSource(conn), [get_category("rescue_teams")], TileIndex(14, tile.x, tile.y),
            TileFilters(),
        )  # fmt: skip
    finally:
        service.close()
    features = {f["id"]: f for f in decode(raw)["rescue_teams"]["features"]}
    assert set(features) == set(inside)
    for fid, p in inside.items():
        x, y = features[fid]["geometry"]["coordinates"]
        ex, ey = expected_tile_xy(p.lon, p.lat, morecantile.Tile(tile.x, tile.y, 14))
        assert abs(x - ex) <= 1 and abs(y - ey) <= 1
