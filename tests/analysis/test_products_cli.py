"""folium products open offline and escape names; the analysis CLI writes JSON, HTML, GeoPackage."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pytest
from typer.testing import CliRunner

from gis_onemap.analysis.inputs import Origin
from gis_onemap.analysis.surroundings import SurroundingsService
from gis_onemap.cli.main import app as cli_app
from gis_onemap.maps.products import (
    render_buffers,
    render_hazard_zones,
    render_shelter_coverage,
    render_surroundings,
)
from tests.analysis.helpers import GEOD, add, offset

LON, LAT = 110.36, 21.27
EVIL = "<script>alert(1)</script>"
REMOTE = re.compile(r"<(?:script|link)[^>]+(?:src|href)=\"https?://", re.IGNORECASE)


def _offline(html: str) -> None:
    assert "L.map(" in html
    assert not REMOTE.search(html), REMOTE.search(html)
    assert EVIL not in html


def test_render_surroundings_offline_and_escaped(db_session):
    add(db_session, "shelters", *offset(LON, LAT, 10, 300), name=EVIL, capacity=80)
    result = SurroundingsService(db_session).surroundings(Origin(LON, LAT), 1000.0)
    html = render_surroundings(result)
    _offline(html)
    # names travel as JSON data (set with textContent in the browser), "<" escaped
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in html


def test_render_buffers_hazard_zones_and_coverage(client, db_session):
    add(db_session, "hazard_sources", LON, LAT, level=1, name=EVIL)
    add(db_session, "protected_targets", *offset(LON, LAT, 0, 500), name=EVIL)
    body = {
        "geometry": {"type": "Point", "coordinates": [LON, LAT]},
        "distances_m": [500, 1000],
        "intersect": ["protected_targets"],
    }
    _offline(render_buffers(client.post("/analysis/buffer", json=body).json()))
    _offline(render_hazard_zones(client.get("/analysis/hazard-zones").json()))
    shelter = add(db_session, "shelters", LON, LAT, shelter_type="emergency", capacity=300)
    shelters = client.get("/collections/shelters/items", params={"id": shelter}).json()
    targets = client.get("/collections/protected_targets/items").json()
    html = render_shelter_coverage(shelters, targets)
    _offline(html)
    assert "targets covered 覆盖目标: 1 / 1" in html  # 500 m from an emergency shelter (500 m)
    r = client.post("/analysis/buffer/map", json=body)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")


@pytest.fixture
def cli(test_database_url, monkeypatch):
    monkeypatch.setenv("ONEMAP_DATABASE_URL", test_database_url)
    from gis_onemap.settings import get_settings

    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_cli_buffer_to_geopackage(cli, tmp_path):
    out = tmp_path / "zones.gpkg"
    r = cli.invoke(
        cli_app,
        [
            "buffer",
            "--lon",
            "116.4",
            "--lat",
            "39.9",
            "-d",
            "1000",
            "-d",
            "2500",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    rings = gpd.read_file(out, layer="rings")
    assert list(rings["distance_m"]) == [1000.0, 2500.0]
    inner = rings.geometry.iloc[0]
    area, _ = GEOD.geometry_area_perimeter(inner)
    assert abs(area) == pytest.approx(rings["area_m2"].iloc[0], rel=1e-6)


def test_cli_surroundings_and_nearest(cli, tmp_path):
    out = tmp_path / "report.json"
    r = cli.invoke(
        cli_app,
        [
            "surroundings",
            "--lon",
            "110.36",
            "--lat",
            "21.27",
            "--event-type",
            "fire",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert set(report["collections"]) >= {"shelters", "experts", "plans"}
    html = tmp_path / "report.html"
    r = cli.invoke(
        cli_app, ["surroundings", "--lon", "110.36", "--lat", "21.27", "--out", str(html)]
    )
    assert r.exit_code == 0 and "L.map(" in html.read_text(encoding="utf-8")
    r = cli.invoke(cli_app, ["nearest", "--lon", "110.36", "--lat", "95"])
    assert r.exit_code == 1 and "latitude" in r.output
    r = cli.invoke(cli_app, ["nearest", "--lon", "110.36", "--lat", "21.27", "-c", "volcanoes"])
    assert r.exit_code == 1 and "unknown category" in r.output
