"""Cached tiles are never stale: every write bumps the data version that keys the cache."""

from __future__ import annotations

from sqlalchemy import text

from gis_onemap.categories import get_category
from gis_onemap.db.repository import FeatureRepository
from gis_onemap.tiles.cache import TileCache, TileKey
from tests.samples import point, sample_feature
from tests.tiles.conftest import WMQ, Z, decode, expected_tile_xy, tile_url


def _ids(client, collection, tile):
    r = client.get(tile_url(collection, tile.z, tile.x, tile.y))
    if r.status_code == 204:
        return {}
    return {f["id"]: f for f in decode(r.content)[collection]["features"]}


def test_patch_that_moves_a_feature_shows_in_the_next_fetch(editor_client, teams):
    moving = teams[0]
    old_tile = WMQ.tile(moving.lon, moving.lat, Z)
    new_lon, new_lat = moving.lon + 0.05, moving.lat + 0.03  # a few tiles away
    new_tile = WMQ.tile(new_lon, new_lat, Z)
    assert new_tile != old_tile
    before = editor_client.get(tile_url("rescue_teams", Z, old_tile.x, old_tile.y))
    assert moving.id in _ids(editor_client, "rescue_teams", old_tile)  # now cached
    assert moving.id not in _ids(editor_client, "rescue_teams", new_tile)
    assert (
        editor_client.get(
            tile_url("rescue_teams", Z, old_tile.x, old_tile.y),
            headers={"If-None-Match": before.headers["etag"]},
        ).status_code
        == 304
    )

    r = editor_client.patch(
        f"/collections/rescue_teams/items/{moving.id}", json={"geometry": point(new_lon, new_lat)}
    )
    assert r.status_code in (200, 204), r.text

    assert moving.id not in _ids(editor_client, "rescue_teams", old_tile)
    moved = _ids(editor_client, "rescue_teams", new_tile)[moving.id]
    ex, ey = expected_tile_xy(new_lon, new_lat, new_tile)
    x, y = moved["geometry"]["coordinates"]
    assert abs(x - ex) <= 1 and abs(y - ey) <= 1
    # the editor_client's old copy is no longer current
    again = editor_client.get(
        tile_url("rescue_teams", Z, old_tile.x, old_tile.y),
        headers={"If-None-Match": before.headers["etag"]},
    )
    assert again.status_code == 200 and again.headers["etag"] != before.headers["etag"]


def test_property_edit_and_delete_show_at_once(editor_client, teams):
    target = teams[1]
    tile = WMQ.tile(target.lon, target.lat, Z)
    assert _ids(editor_client, "rescue_teams", tile)[target.id]["properties"]["name"] != "改名"
    editor_client.patch(
        f"/collections/rescue_teams/items/{target.id}", json={"properties": {"name": "改名"}}
    )
    assert _ids(editor_client, "rescue_teams", tile)[target.id]["properties"]["name"] == "改名"
    assert editor_client.delete(f"/collections/rescue_teams/items/{target.id}").status_code == 204
    assert target.id not in _ids(editor_client, "rescue_teams", tile)


def test_moving_a_depot_moves_its_supplies_in_tiles(editor_client, db_session):
    depot_id = FeatureRepository(db_session, get_category("depots")).create(
        sample_feature("depots")
    )
    supply = sample_feature("supplies")
    supply["properties"]["depot_id"] = depot_id
    supply_id = FeatureRepository(db_session, get_category("supplies")).create(supply)
    lon, lat = sample_feature("depots")["geometry"]["coordinates"]
    old_tile = WMQ.tile(lon, lat, Z)
    assert supply_id in _ids(editor_client, "supplies", old_tile)  # cached
    new_tile = WMQ.tile(lon + 0.1, lat, Z)
    r = editor_client.patch(
        f"/collections/depots/items/{depot_id}", json={"geometry": point(lon + 0.1, lat)}
    )
    assert r.status_code in (200, 204)
    # the supplies row was moved by a database trigger, not by the API: still seen at once
    assert supply_id not in _ids(editor_client, "supplies", old_tile)
    assert supply_id in _ids(editor_client, "supplies", new_tile)


def test_a_write_from_outside_the_api_invalidates_too(editor_client, db_session, teams):
    target = teams[2]
    tile = WMQ.tile(target.lon, target.lat, Z)
    assert target.id in _ids(editor_client, "rescue_teams", tile)
    db_session.execute(text("DELETE FROM rescue_teams WHERE id = :id"), {"id": target.id})
    assert target.id not in _ids(editor_client, "rescue_teams", tile)


def test_the_all_collections_tile_follows_edits_too(editor_client, teams):
    target = teams[3]
    tile = WMQ.tile(target.lon, target.lat, Z)
    url = f"/tiles/WebMercatorQuad/{Z}/{tile.x}/{tile.y}"
    assert target.id in {
        f["id"] for f in decode(editor_client.get(url).content)["rescue_teams"]["features"]
    }
    editor_client.delete(f"/collections/rescue_teams/items/{target.id}")
    r = editor_client.get(url)
    ids = {f["id"] for f in decode(r.content)["rescue_teams"]["features"]} if r.content else set()
    assert target.id not in ids


def test_headers_and_gzip(editor_client, teams):
    tile = WMQ.tile(teams[0].lon, teams[0].lat, Z)
    r = editor_client.get(
        tile_url("rescue_teams", Z, tile.x, tile.y), headers={"Accept-Encoding": "gzip"}
    )
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["cache-control"] == "public, no-cache"
    assert r.headers["etag"].startswith('"')
    plain = editor_client.get(
        tile_url("rescue_teams", Z, tile.x, tile.y), headers={"Accept-Encoding": "identity"}
    )
    assert "content-encoding" not in plain.headers
    assert plain.headers["etag"] != r.headers["etag"]  # one ETag per representation
    assert decode(plain.content) == decode(r.content)


def test_memory_and_disk_cache(tmp_path):
    cache = TileCache(2, tmp_path)
    k1 = TileKey("shelters", "1", 14, 1, 2, "-", "mvt")
    cache.put(k1, b"one")
    assert cache.get(k1) == b"one"
    assert TileCache(2, tmp_path).get(k1) == b"one"  # a new process finds it on disk
    newer = TileKey("shelters", "2", 14, 1, 2, "-", "mvt")
    assert cache.get(newer) is None
    cache.put(newer, b"two")
    assert not (tmp_path / "shelters" / "1").exists()  # the old version's folder is gone
    assert TileCache(2, tmp_path).get(k1) is None
    for i in range(3):  # LRU: only 2 kept in memory
        cache.put(TileKey("x", "1", 1, 0, i, "-", "mvt"), b"t")
    assert len(cache) == 2
    cache.clear()
    assert cache.get(newer) is None


def test_disk_cache_serves_a_new_app(settings, db_session, teams, tmp_path):
    from fastapi.testclient import TestClient

    from gis_onemap.api.app import create_app
    from gis_onemap.api.deps import get_session
    from gis_onemap.api.routers.tiles import get_tile_backend
    from gis_onemap.tiles.sources import SessionBackend

    def _app():
        app = create_app(settings.model_copy(update={"tile_cache_dir": tmp_path}))

        def _session():
            yield db_session

        app.dependency_overrides[get_session] = _session
        app.dependency_overrides[get_tile_backend] = lambda: SessionBackend(db_session)
        return app

    tile = WMQ.tile(teams[0].lon, teams[0].lat, Z)
    url = tile_url("rescue_teams", Z, tile.x, tile.y)
    with TestClient(_app()) as c1:
        first = c1.get(url)
    assert list(tmp_path.rglob("*.mvt"))
    with TestClient(_app()) as c2:
        second = c2.get(url)
        assert c2.app.state.tile_service.cache.hits == 1
    assert second.content == first.content


def test_production_path_sees_committed_edits_at_once(settings, engine, role_tokens):
    """Without a session override the app answers hits from its own version connection."""
    from fastapi.testclient import TestClient

    from gis_onemap.api.app import create_app

    lon, lat = 113.2644, 23.1291  # Guangzhou: away from the other tests' features
    with engine.begin() as conn:
        fid = conn.execute(
            text(
                "INSERT INTO rescue_teams (name, tier, geom) VALUES "
                "('committed', 'professional', ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) "
                "RETURNING id"
            ),
            {"lon": lon, "lat": lat},
        ).scalar_one()
    try:
        editor = {"Authorization": f"Bearer {role_tokens['editor']}"}
        with TestClient(create_app(settings), headers=editor) as client:
            tile = WMQ.tile(lon, lat, Z)
            assert fid in _ids(client, "rescue_teams", tile)  # rendered (miss)
            service = client.app.state.tile_service
            hits = service.cache.hits
            assert fid in _ids(client, "rescue_teams", tile)  # from the cache
            assert service.cache.hits == hits + 1
            new = WMQ.tile(lon + 0.05, lat, Z)
            r = client.patch(
                f"/collections/rescue_teams/items/{fid}", json={"geometry": point(lon + 0.05, lat)}
            )
            assert r.status_code in (200, 204)
            assert fid not in _ids(client, "rescue_teams", tile)
            assert fid in _ids(client, "rescue_teams", new)
            with engine.begin() as conn:  # another process's write
                conn.execute(
                    text("UPDATE rescue_teams SET name = 'renamed' WHERE id = :id"), {"id": fid}
                )
            assert _ids(client, "rescue_teams", new)[fid]["properties"]["name"] == "renamed"
            service.close()
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM rescue_teams WHERE id = :id"), {"id": fid})


def test_version_reader_shares_queries_and_sees_every_commit(settings, engine):
    import asyncio

    from gis_onemap.tiles.versions import VersionReader

    reader = VersionReader(settings)

    async def scenario():
        together = await asyncio.gather(*(reader.read() for _ in range(10)))
        before = together[0]["shelters"]
        with engine.begin() as conn:  # a commit by someone else...
            conn.execute(text("UPDATE shelters SET name = name WHERE false"))
        after = await reader.read()  # ...is seen by the next read
        return together, before, after["shelters"]

    try:
        together, before, after = asyncio.run(scenario())
    finally:
        reader.close()
    assert all(r is together[0] for r in together)  # 10 concurrent callers, one query
    assert after > before  # the statement-level trigger bumped it, even for zero rows
