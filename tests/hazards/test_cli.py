"""``onemap hazards``: release zones and the risk map to GeoJSON/GeoPackage; bad input exits 2."""

from __future__ import annotations

import json

import pyogrio
import pytest
from typer.testing import CliRunner

from gis_onemap.cli.main import app as cli_app
from tests.hazards.helpers import table_row


@pytest.fixture
def cli(test_database_url, monkeypatch):
    monkeypatch.setenv("ONEMAP_DATABASE_URL", test_database_url)
    from gis_onemap.settings import get_settings

    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_release_zones_to_geojson(cli, tmp_path):
    out = tmp_path / "zones.geojson"
    r = cli.invoke(cli_app, [
        "hazards", "release-zones", "--substance", "UN1005", "--wind-from", "90",
        "--wind-speed", "2", "--lon", "100.2", "--lat", "30.1", "--amount", "small",
        "--time", "night", "--out", str(out),
    ])  # fmt: skip
    assert r.exit_code == 0, r.output
    fc = json.loads(out.read_text(encoding="utf-8"))
    pad = next(f for f in fc["features"] if f["properties"]["zone"] == "protective_action")
    assert pad["properties"]["distance_m"] == table_row("1005")["small"]["night_m"]
    assert fc["release"]["downwind_azimuth_deg"] == 270


def test_risk_map_to_geopackage(cli, tmp_path):
    out = tmp_path / "risk.gpkg"
    r = cli.invoke(cli_app, [
        "hazards", "risk-map", "--cell", "square", "--size-m", "1000",
        "--bbox", "104.0,30.0,104.05,30.05", "--out", str(out),
    ])  # fmt: skip
    assert r.exit_code == 0, r.output
    info = pyogrio.read_info(out, layer="risk_map")
    assert info["crs"] == "EPSG:4326" and info["features"] > 20
    assert {"risk_class", "likelihood", "consequence", "shelter_capacity_in_reach"} <= set(
        info["fields"]
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["risk-map", "--size-m", "20", "--bbox", "104,30,104.1,30.1"], "size_m must be"),
        (["risk-map", "--cell", "circle"], "--cell must be"),
        (["release-zones", "--substance", "chlorne", "--wind-from", "0", "--wind-speed", "1",
          "--lon", "100", "--lat", "30", "--amount", "small"], "close names"),
    ],
)  # fmt: skip
def test_bad_input_exits_2(cli, args, words):
    r = cli.invoke(cli_app, ["hazards", *args])
    assert r.exit_code == 2
    assert words in r.output
