"""``onemap roads load``: bureau layers (GBK, Chinese classes, one-way), the report, bad input,
and a failed load that keeps the previous network."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from pyproj import Geod
from sqlalchemy import create_engine, pool, text
from typer.testing import CliRunner

from gis_onemap.cli.main import app
from gis_onemap.settings import get_settings
from tests.helpers.databases import fresh_database

runner = CliRunner()
GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def cli_db(test_database_url):
    return fresh_database(test_database_url, "roadcli")


def _run(url, monkeypatch, *args):
    monkeypatch.setenv("ONEMAP_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        return runner.invoke(app, ["roads", *args])
    finally:
        get_settings.cache_clear()


def _load(url, monkeypatch, path, *extra):
    return _run(url, monkeypatch, "load", str(path), "--class-field", "等级",
                "--name-field", "路名", *extra)  # fmt: skip


def _grid_layer(path, *, classes=("主干路", "次干路"), speed=None, encoding="GBK"):
    """A 3×3 street grid in EPSG:4549 (CGCS2000 / 3° GK CM 114E... here: 111E zone) with
    Chinese names and classes; the middle row is one-way eastwards."""
    lines, rows = [], []
    x0, y0, step = 500_000.0, 2_350_000.0, 500.0
    for j in range(3):  # east-west streets
        for i in range(2):
            lines.append(
                shapely.LineString(
                    [(x0 + i * step, y0 + j * step), (x0 + (i + 1) * step, y0 + j * step)]
                )
            )
            rows.append(
                {"等级": classes[0], "路名": f"东西路{j}", "单行": "是" if j == 1 else "否"}
            )
    for i in range(3):  # north-south streets
        for j in range(2):
            lines.append(
                shapely.LineString(
                    [(x0 + i * step, y0 + j * step), (x0 + i * step, y0 + (j + 1) * step)]
                )
            )
            rows.append({"等级": classes[1], "路名": f"南北路{i}", "单行": "否"})
    frame = gpd.GeoDataFrame(rows, geometry=lines, crs="EPSG:4545")  # CGCS2000 GK CM 111°E
    if speed is not None:
        frame["限速"] = speed
    frame.to_file(path, encoding=encoding)
    return frame


def test_gbk_layer_with_chinese_classes_loads_with_a_report(cli_db, tmp_path, monkeypatch):
    src = _grid_layer(tmp_path / "道路.shp")
    res = _run(cli_db, monkeypatch, "load", str(tmp_path / "道路.shp"), "--class-field", "等级",
               "--name-field", "路名", "--oneway-field", "单行")  # fmt: skip
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["edges"] == 12 and report["vertices"] == 9 and report["pieces"] == 1
    assert report["oneway"] == 2
    expected_km = sum(GEOD.geometry_length(g) for g in src.to_crs(4326).geometry) / 1000
    assert report["km"] == pytest.approx(expected_km, abs=0.002)
    assert {c["road_class"] for c in report["by_class"]} == {"arterial", "secondary"}
    eng = create_engine(cli_db, poolclass=pool.NullPool)
    with eng.connect() as conn:
        names = {r[0] for r in conn.execute(text("SELECT DISTINCT name FROM road_edges"))}
        oneway = conn.execute(
            text("SELECT count(*) FROM road_edges WHERE reverse_cost_s < 0 AND name = '东西路1'")
        ).scalar_one()
        speed = conn.execute(
            text("SELECT DISTINCT speed_kmh FROM road_edges WHERE road_class = 'arterial'")
        ).scalar_one()
    eng.dispose()
    assert "东西路1" in names and "南北路2" in names  # GBK decoded
    assert oneway == 2
    assert speed == 45.0  # 主干路 default from the class table


def test_bad_loads_are_refused_and_keep_the_previous_network(cli_db, tmp_path, monkeypatch):
    _grid_layer(tmp_path / "good.shp")
    assert _load(cli_db, monkeypatch, tmp_path / "good.shp").exit_code == 0

    def edges():
        eng = create_engine(cli_db, poolclass=pool.NullPool)
        with eng.connect() as conn:
            ids = [r[0] for r in conn.execute(text("SELECT id FROM road_edges ORDER BY id"))]
        eng.dispose()
        return ids

    before = edges()
    _grid_layer(tmp_path / "odd.shp", classes=("快车道", "次干路"))
    res = _load(cli_db, monkeypatch, tmp_path / "odd.shp")
    assert res.exit_code == 2 and "快车道" in res.output and "--class-map" in res.output
    _grid_layer(tmp_path / "slow.shp", speed=0)
    res = _load(cli_db, monkeypatch, tmp_path / "slow.shp", "--speed-field", "限速")
    assert res.exit_code == 2 and "> 0" in res.output
    res = _load(cli_db, monkeypatch, tmp_path / "good.shp", "--speed", "arterial=-5")
    assert res.exit_code == 2 and "> 0" in res.output
    empty = gpd.GeoDataFrame({"等级": [], "路名": []}, geometry=[], crs="EPSG:4326")
    empty.to_file(tmp_path / "empty.gpkg")
    res = _load(cli_db, monkeypatch, tmp_path / "empty.gpkg")
    assert res.exit_code == 2 and "no roads" in res.output
    assert edges() == before  # every failure left the previous network in place
    # a class map makes the odd layer loadable, and it replaces the network atomically
    res = _load(cli_db, monkeypatch, tmp_path / "odd.shp", "--class-map", "快车道=urban_expressway")
    assert res.exit_code == 0, res.output
    after = edges()
    assert len(after) == 12 and not set(after) & set(before)
