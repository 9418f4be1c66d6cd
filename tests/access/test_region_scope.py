"""Region scope: writes only inside a token's regions (always), reads too with read scope on;
enforced by row-level security, so items, exports, imports and tiles all obey it."""

from __future__ import annotations

import csv
import gzip
import io

import httpx
import mapbox_vector_tile
import morecantile
from sqlalchemy import text

from tests.access.conftest import feature, insert
from tests.helpers.tokens import auth
from tests.samples import ZHANJIANG


def test_editor_limited_to_440803_cannot_change_440881(server, access_engine, make_token):
    inside = insert(access_engine, "shelters", "440803", name="霞山内")
    outside = insert(access_engine, "shelters", "440881", name="廉江外")
    h = auth(make_token("editor", ["440803"]))
    with httpx.Client(base_url=server, headers=h) as c:
        url = "/collections/shelters/items"
        r = c.patch(f"{url}/{outside}", json={"properties": {"name": "改"}})
        assert r.status_code == 403, r.text
        assert "region" in r.json()["description"]
        assert c.delete(f"{url}/{outside}").status_code == 403
        # moving an own feature into another region is refused too (WITH CHECK)
        r = c.patch(f"{url}/{inside}", json={"properties": {"region_code": "440881"}})
        assert r.status_code == 403
        assert c.post(url, json=feature("shelters", "440881")).status_code == 403
        # inside its region everything works
        assert c.patch(f"{url}/{inside}", json={"properties": {"name": "改"}}).status_code == 200
        assert c.post(url, json=feature("shelters", "440803")).status_code == 201
        assert c.delete(f"{url}/{999_999_999}").status_code == 404
    with access_engine.connect() as conn:
        names = dict(conn.execute(text("SELECT id, name FROM shelters WHERE id IN (:a, :b)"),
                                  {"a": inside, "b": outside}).all())  # fmt: skip
    assert names == {inside: "改", outside: "廉江外"}


def test_city_prefix_covers_its_districts(server, access_engine, make_token):
    fid = insert(access_engine, "shelters", "440881")
    h = auth(make_token("editor", ["4408"]))
    r = httpx.patch(f"{server}/collections/shelters/items/{fid}", headers=h,
                    json={"properties": {"name": "市级可改"}})  # fmt: skip
    assert r.status_code == 200, r.text


def test_unknown_region_code_is_422(server, make_token):
    h = auth(make_token("editor", ["449999"]))
    r = httpx.get(f"{server}/collections/shelters/items", headers=h)
    assert r.status_code == 422
    assert "449999" in r.json()["description"]


def test_scoped_import_outside_region_writes_nothing(server, access_engine, make_token):
    def count() -> int:
        with access_engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM rescue_teams")).scalar_one()

    before = count()
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["name", "region_code", "tier", "headcount", "lon", "lat"])
    w.writerow(["甲队", "440803", "professional", 10, 110.30, 21.20])
    w.writerow(["乙队", "440881", "professional", 10, 110.40, 21.60])
    h = auth(make_token("editor", ["440803"]))
    r = httpx.post(f"{server}/collections/rescue_teams/import", headers=h,
                   files={"file": ("t.csv", buf.getvalue().encode())})  # fmt: skip
    assert r.status_code == 403, r.text
    assert count() == before


def _tile_ids(r: httpx.Response) -> set[int]:
    raw = gzip.decompress(r.content) if r.content[:2] == b"\x1f\x8b" else r.content
    return {f["id"] for f in mapbox_vector_tile.decode(raw)["hazard_sources"]["features"]}


def _seed_two_regions(engine):
    a = insert(engine, "hazard_sources", "440803", name="霞山-危险源")
    b = insert(engine, "hazard_sources", "440881", name="廉江-危险源")
    return a, b


def test_read_scope_items_exports_and_tiles(scoped_server, server, access_engine, make_token):
    a, b = _seed_two_regions(access_engine)
    viewer = auth(make_token("viewer", ["440803"]))
    with httpx.Client(base_url=scoped_server, headers=viewer) as c:
        items = c.get("/collections/hazard_sources/items?limit=10000").json()
        regions = {f["properties"]["region_code"] for f in items["features"]}
        ids = {f["id"] for f in items["features"]}
        assert a in ids and b not in ids
        assert regions == {"440803"}
        assert items["numberMatched"] == len(items["features"])
        assert c.get(f"/collections/hazard_sources/items/{b}").status_code == 404
        export = c.get("/collections/hazard_sources/items?f=csv").text
        assert "霞山-危险源" in export and "廉江-危险源" not in export
        # tiles: both features lie in the same zoom-14 tile (the sample point)
        tile = morecantile.tms.get("WebMercatorQuad").tile(*ZHANJIANG, 14)
        path = f"/collections/hazard_sources/tiles/WebMercatorQuad/14/{tile.x}/{tile.y}"
        r = c.get(path, headers={"Accept-Encoding": "gzip"})
        assert r.status_code == 200
        assert a in _tile_ids(r) and b not in _tile_ids(r)
    # the same tile, unscoped (another cache key), shows both
    with httpx.Client(base_url=scoped_server) as c:
        r = c.get(path)
        assert {a, b} <= _tile_ids(r)
    # read scope off: a scoped viewer reads everything (but still writes only its regions)
    r = httpx.get(f"{server}/collections/hazard_sources/items/{b}", headers=viewer)
    assert r.status_code == 200


def test_app_role_keeps_the_spatial_index_for_bbox_reads(access_engine):
    """The app role's read policy is the constant ``true``: a non-constant one is a security
    barrier that forbids the (non-LEAKPROOF) PostGIS ``&&`` from using the GiST index."""
    from gis_onemap.auth.dbcontext import _CONTEXT_TEXT, DbContext
    from gis_onemap.auth.principal import Principal, Role

    query = text(
        "EXPLAIN SELECT id FROM shelters WHERE geom && ST_MakeEnvelope(110, 21, 110.1, 21.1, 4326)"
    )
    for principal in (Principal("a", Role.editor), Principal("b", Role.editor, ("440803",))):
        with access_engine.begin() as conn:
            conn.execute(_CONTEXT_TEXT, DbContext.of(principal, read_scope=False).params)
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            assert conn.execute(text("SELECT current_user")).scalar() == "onemap_app"
            plan = "\n".join(r[0] for r in conn.execute(query))
        assert "ix_shelters_geom" in plan, plan


def test_import_update_of_a_duplicate_outside_the_region_is_403(server, access_engine, make_token):
    lon, lat = 110.2468, 21.6135
    fid = insert(access_engine, "rescue_teams", "440881", name="廉江重复队", headcount=7)
    with access_engine.begin() as conn:
        conn.execute(text("UPDATE rescue_teams SET geom = ST_SetSRID(ST_MakePoint(:x, :y), 4326)"
                          " WHERE id = :f"), {"x": lon, "y": lat, "f": fid})  # fmt: skip
    body = (
        f"name,region_code,tier,headcount,lon,lat\n廉江重复队,440803,professional,99,{lon},{lat}\n"
    )
    h = auth(make_token("editor", ["440803"]))
    r = httpx.post(f"{server}/collections/rescue_teams/import", headers=h,
                   data={"on_duplicate": "update"},
                   files={"file": ("d.csv", body.encode())})  # fmt: skip
    assert r.status_code == 403, r.text
    with access_engine.connect() as conn:
        row = conn.execute(text("SELECT region_code, headcount FROM rescue_teams WHERE id = :f"),
                           {"f": fid}).one()  # fmt: skip
    assert tuple(row) == ("440881", 7)


def test_read_scope_limits_analyses(scoped_server, access_engine, make_token):
    a = insert(access_engine, "depots", "440803", name="霞山-分析库")
    b = insert(access_engine, "depots", "440881", name="廉江-分析库")
    params = {"lon": ZHANJIANG[0], "lat": ZHANJIANG[1], "radius_m": 1000, "category": "depots"}
    scoped = auth(make_token("viewer", ["440803"]))
    for path in ("/analysis/within", "/analysis/nearest"):
        ids = {f["id"] for f in httpx.get(scoped_server + path, params=params,
                                          headers=scoped).json()["features"]}  # fmt: skip
        assert a in ids and b not in ids, path
        everyone = {
            f["id"] for f in httpx.get(scoped_server + path, params=params).json()["features"]
        }
        assert {a, b} <= everyone, path
