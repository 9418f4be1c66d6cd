"""The population layer: import (all or nothing), the read-only OGC collection, the demo grid;
the CLI writing .xlsx (Chinese headers), .gpkg, .geojson and offline .html."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, pool, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from gis_onemap.cli.main import app as cli_app
from gis_onemap.errors import ValidationFailed
from gis_onemap.planning.population_io import import_population
from gis_onemap.settings import get_settings
from tests.planning.helpers import ORIGIN, add_cell, at

DEMO = Path(__file__).resolve().parents[2] / "gis_onemap" / "data" / "demo" / "population.geojson"


def _cell(lon: float, lat: float, **props: object) -> dict:
    return {
        "type": "Feature",
        "properties": props,
        "geometry": shapely.geometry.mapping(shapely.box(lon, lat, lon + 0.01, lat + 0.01)),
    }


def _count(session: Session) -> int:
    return int(session.execute(text("SELECT count(*) FROM population")).scalar_one())


def test_import_with_chinese_headers_and_all_or_nothing(
    tmp_path: Path, db_session: Session
) -> None:
    good = tmp_path / "村.geojson"
    good.write_text(json.dumps({"type": "FeatureCollection", "features": [
        _cell(110.3, 21.2, 名称="北村", 常住人口=1200, 类型="村", 行政区划代码="440802"),
        _cell(110.4, 21.2, 名称="南社区", 常住人口=800, 夜间人口=900, 类型="社区"),
    ]}, ensure_ascii=False), encoding="utf-8")  # fmt: skip
    before = _count(db_session)
    report = import_population(db_session, good)
    assert report.imported == 2 and report.population == 2000
    rows = db_session.execute(text(
        "SELECT name, kind, population, population_night, region_code FROM population "
        "ORDER BY id DESC LIMIT 2")).all()  # fmt: skip
    assert sorted(map(tuple, rows)) == [("北村", "village", 1200, None, "440802"),
                                        ("南社区", "community", 800, 900, None)]  # fmt: skip
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [
        _cell(110.3, 21.2, name="ok", population=10),
        _cell(110.4, 21.2, name="neg", population=-5),
        _cell(110.5, 21.2, name="frac", population=2.5),
    ]}), encoding="utf-8")  # fmt: skip
    with pytest.raises(ValidationFailed) as err:
        import_population(db_session, bad)
    assert "2 of 3 rows are invalid" in err.value.message and "negative" in err.value.message
    assert _count(db_session) == before + 2  # nothing of the bad file


def test_population_collection(client: TestClient, db_session: Session) -> None:
    listed = [c["id"] for c in client.get("/collections").json()["collections"]]
    assert "population" not in listed  # an empty layer is not offered
    ids = [add_cell(db_session, *at(k * 200, 0), 100 + k, region_code="440802") for k in range(3)]
    listing = client.get("/collections").json()["collections"]
    (entry,) = [c for c in listing if c["id"] == "population"]  # discoverable once loaded
    assert entry["itemCount"] == 3
    doc = client.get("/collections/population").json()
    assert doc["id"] == "population" and doc["itemCount"] == 3 and doc["population"] == 303
    page = client.get("/collections/population/items", params={"limit": 2}).json()
    assert [f["id"] for f in page["features"]] == ids[:2]
    nxt = next(link["href"] for link in page["links"] if link["rel"] == "next")
    rest = client.get(nxt).json()
    assert [f["id"] for f in rest["features"]] == ids[2:]
    one = client.get(f"/collections/population/items/{ids[1]}").json()
    assert one["properties"]["population"] == 101 and one["geometry"]["type"] == "Polygon"
    assert client.get("/collections/population/items/999999999").status_code == 404
    far = [ORIGIN[0] + 1, ORIGIN[1] + 1, ORIGIN[0] + 2, ORIGIN[1] + 2]
    assert (
        client.get(
            "/collections/population/items", params={"bbox": ",".join(map(str, far))}
        ).json()["features"]
        == []
    )
    q = client.get("/collections/population/queryables").json()
    assert q["properties"]["population"] == {"type": "integer"}
    assert client.get("/collections/population/items", params={"kind": "x"}).status_code == 400


def test_demo_grid_matches_the_published_district_totals() -> None:
    fc = json.loads(DEMO.read_text(encoding="utf-8"))
    assert fc["synthetic"] is True and "湛江市统计局" in fc["source"]
    totals: Counter[str] = Counter()
    for f in fc["features"]:
        assert f["properties"]["synthetic"] is True and f["properties"]["population"] >= 0
        totals[f["properties"]["region_code"]] += f["properties"]["population"]
    assert dict(totals) == fc["district_population"]
    assert sum(totals.values()) == 7_030_900  # 703.09万, the 2021 year-end city total
    assert DEMO.stat().st_size < 5_000_000


@pytest.fixture
def committed(test_database_url: str, monkeypatch: pytest.MonkeyPatch):
    """The CLI commits: point it at the test database and remove what it stored."""
    monkeypatch.setenv("ONEMAP_DATABASE_URL", test_database_url)
    get_settings.cache_clear()
    eng = create_engine(test_database_url, poolclass=pool.NullPool)
    try:
        yield eng
    finally:
        get_settings.cache_clear()
        with eng.begin() as conn:
            conn.execute(text("DELETE FROM population"))
            conn.execute(text("DELETE FROM shelters WHERE name LIKE 'cli-%'"))
        eng.dispose()


def test_cli_load_and_coverage_outputs(committed, tmp_path: Path) -> None:
    runner = CliRunner()
    src = tmp_path / "pop.geojson"
    (lon, lat), (lon2, lat2) = at(0, 0), at(3000, 0)
    src.write_text(json.dumps({"type": "FeatureCollection", "features": [
        _cell(lon, lat, name="甲", population=400), _cell(lon2, lat2, name="乙", population=300),
    ]}, ensure_ascii=False), encoding="utf-8")  # fmt: skip
    r = runner.invoke(cli_app, ["load", str(src), "--layer", "population"])
    assert r.exit_code == 0, r.output
    assert "700 people" in r.output
    with committed.begin() as conn:
        conn.execute(text(
            "INSERT INTO shelters (name, shelter_type, effective_area_m2, capacity, geom) VALUES "
            "('cli-a', 'emergency', 150, 150, ST_SetSRID(ST_MakePoint(:x, :y), 4326))"),
            {"x": lon + 0.005, "y": lat + 0.005})  # fmt: skip
    bbox = [ORIGIN[0] - 0.1, ORIGIN[1] - 0.1, ORIGIN[0] + 0.1, ORIGIN[1] + 0.1]
    body = json.dumps({"bbox": bbox, "share": 0.5, "reach": 20})
    outs = {ext: tmp_path / f"report{ext}" for ext in (".xlsx", ".gpkg", ".html", ".geojson")}
    for out in outs.values():
        r = runner.invoke(cli_app, ["shelters", "coverage", "--body", body, "--out", str(out)])
        assert r.exit_code == 0, r.output
    summary = json.loads(r.output.splitlines()[0])
    assert summary["demand"] == 350 and summary["covered"] == 150
    wb = openpyxl.load_workbook(outs[".xlsx"])
    assert {"汇总", "避难场所", "网格"} <= set(wb.sheetnames)
    header = [c.value for c in wb["网格"][1]]
    assert header == ["名称", "行政区划代码", "人口", "需避难人数", "已安置人数", "未安置人数"]
    rows = {r[0]: r for r in wb["网格"].iter_rows(min_row=2, values_only=True)}
    assert rows["甲"][4] == 150 and rows["乙"][5] == 150
    cells = gpd.read_file(outs[".gpkg"], layer="cells")
    assert cells["uncovered"].sum() == 200
    assert len(gpd.read_file(outs[".gpkg"], layer="uncovered_areas")) == 1
    html = outs[".html"].read_text(encoding="utf-8")
    assert "L.map(" in html
    assert not re.search(r"<(?:script|link)[^>]+(?:src|href)=\"https?://", html)
    features = json.loads(outs[".geojson"].read_text())["features"]
    layers = {f["properties"]["layer"] for f in features}
    assert layers == {"cells", "shelters", "uncovered_areas"}
    bad = runner.invoke(cli_app, ["shelters", "coverage", "--body", body, "--reach", "-3"])
    assert bad.exit_code == 2 and "reach" in bad.output


def test_population_tiles(client: TestClient, db_session: Session) -> None:
    import mapbox_vector_tile
    import morecantile

    cid = add_cell(db_session, *at(0, 0), 321)
    tile = morecantile.tms.get("WebMercatorQuad").tile(*ORIGIN, 12)
    r = client.get(f"/collections/population/tiles/WebMercatorQuad/12/{tile.x}/{tile.y}")
    assert (
        r.status_code == 200 and r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    )
    feats = mapbox_vector_tile.decode(r.content)["population"]["features"]
    assert [(f["id"], f["properties"]["population"]) for f in feats] == [(cid, 321)]
    empty = client.get(f"/collections/population/tiles/WebMercatorQuad/12/{tile.x + 5}/{tile.y}")
    assert empty.status_code == 204
    # off the grid: 404, as on every tile route (OGC API - Tiles); a zoom beyond 22: 400
    assert client.get("/collections/population/tiles/WebMercatorQuad/3/9/0").status_code == 404
    assert client.get("/collections/population/tiles/WebMercatorQuad/30/0/0").status_code == 400


def test_population_tiles_are_cached_by_data_version(
    client: TestClient, db_session: Session
) -> None:
    """A second fetch is a cache hit with the same ETag (304 when sent back); a write to the
    layer (migration 0018's trigger) gives a new version: the next fetch draws the new data."""
    import mapbox_vector_tile
    import morecantile

    first = add_cell(db_session, *at(0, 0), 321)
    tile = morecantile.tms.get("WebMercatorQuad").tile(*ORIGIN, 12)
    url = f"/collections/population/tiles/WebMercatorQuad/12/{tile.x}/{tile.y}"
    miss = client.get(url)
    hit = client.get(url)
    assert (miss.headers["x-cache"], hit.headers["x-cache"]) == ("miss", "hit")
    assert hit.content == miss.content and hit.headers["etag"] == miss.headers["etag"]
    assert client.get(url, headers={"If-None-Match": miss.headers["etag"]}).status_code == 304

    second = add_cell(db_session, *at(0, 0), 55, half_m=20.0)
    fresh = client.get(url)
    assert fresh.headers["x-cache"] == "miss" and fresh.headers["etag"] != miss.headers["etag"]
    feats = mapbox_vector_tile.decode(fresh.content)["population"]["features"]
    assert sorted((f["id"], f["properties"]["population"]) for f in feats) == sorted(
        [(first, 321), (second, 55)]
    )
    assert client.get(url, headers={"If-None-Match": miss.headers["etag"]}).status_code == 200


def test_risk_map_tiles_follow_population_writes(client: TestClient, db_session: Session) -> None:
    """The risk map counts population, so a population write must give its tiles new keys
    (before migration 0018 the layer had no data version and a cached tile stayed stale)."""
    import mapbox_vector_tile
    import morecantile

    from tests.analysis.helpers import add

    lon, lat = ORIGIN
    add(db_session, "hazard_sources", lon, lat, "储罐区", level=1)
    t = morecantile.tms.get("WebMercatorQuad").tile(lon, lat, 12)
    url = f"/analysis/risk-map/tiles/{t.z}/{t.x}/{t.y}.mvt?cell=hex&size_m=500"
    first = client.get(url)
    assert first.status_code == 200 and client.get(url).headers["x-cache"] == "hit"
    before = {
        f["properties"].get("exposed", 0)
        for f in mapbox_vector_tile.decode(first.content)["risk"]["features"]
    }
    add_cell(db_session, lon, lat, 50_000, half_m=100.0)
    fresh = client.get(url)
    assert fresh.headers["x-cache"] == "miss" and fresh.headers["etag"] != first.headers["etag"]
    after = {
        f["properties"].get("exposed", 0)
        for f in mapbox_vector_tile.decode(fresh.content)["risk"]["features"]
    }
    assert max(after) >= 50_000 > max(before)
