"""Offline bundles: the GeoPackage opens in GDAL with the right CRS and every layer, the PMTiles
archive reads back, the spreadsheet has Chinese headers, the GBK CSV is GBK; ``GET /bundle`` is
for editors and leaves no temporary files. The HTML map in Chromium with the network blocked:
``tests/web/test_bundle_html.py`` (one Playwright instance per process: the browser fixture
lives in tests/web)."""

from __future__ import annotations

import gzip
import io
import json
import tempfile
import zipfile
from pathlib import Path

import mapbox_vector_tile
import openpyxl
import pyogrio
import pytest
from pmtiles.reader import MmapSource, Reader, all_tiles
from pmtiles.tile import TileType
from pyproj import CRS
from sqlalchemy import text

from gis_onemap.bundle.build import BundleRequest, build_bundle
from gis_onemap.categories import CATEGORIES, REGISTRY
from tests.conftest import rolled_back_session
from tests.printing.test_print import count_in_bbox

#: a small area of central Zhanjiang (few tiles, enough features)
BBOX = "110.35,21.25,110.40,21.29"


@pytest.fixture(scope="module")
def bundle(print_engine, print_settings, tmp_path_factory) -> tuple[Path, dict]:
    """One bundle of :data:`BBOX` (all 8 layers, CGCS2000, GBK CSV) shared by the module."""
    out = tmp_path_factory.mktemp("bundle") / "area.zip"
    with rolled_back_session(print_engine) as session:
        report = build_bundle(session, print_settings, BundleRequest(bbox=BBOX, gbk_csv=True), out)
    return out, report.manifest


def _extract(zip_path: Path, name: str, tmp_path: Path) -> Path:
    with zipfile.ZipFile(zip_path) as zf:
        zf.extract(name, tmp_path / "x")
    return tmp_path / "x" / name


def test_bundle_holds_every_part(bundle):
    out, manifest = bundle
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        stored = json.loads(zf.read("manifest.json"))
    assert {"layers.gpkg", "map.html", "map.pdf", "tiles.pmtiles", "resources.xlsx",
            "manifest.json"} <= names  # fmt: skip
    assert any(n.startswith("csv_gbk/") for n in names)
    assert stored["crs"] == "EPSG:4490" and stored["files"] == manifest["files"]


def test_geopackage_opens_in_gdal_with_every_layer_and_cgcs2000(bundle, print_session, tmp_path):
    gpkg = _extract(bundle[0], "layers.gpkg", tmp_path)
    layers = {name for name, _ in pyogrio.list_layers(gpkg)}
    assert layers == {"area", "districts", *(c.id for c in CATEGORIES)}
    for name in layers:
        info = pyogrio.read_info(gpkg, layer=name)
        assert CRS.from_user_input(info["crs"]).to_epsg() == 4490, name
    for cid in ("shelters", "hazard_sources", "protected_targets"):
        info = pyogrio.read_info(gpkg, layer=cid)
        assert info["features"] == count_in_bbox(print_session, cid, BBOX) > 0
        assert "name" in info["fields"]
    shelters = pyogrio.read_dataframe(gpkg, layer="shelters")
    minx, miny, maxx, maxy = (float(v) for v in BBOX.split(","))
    b = shelters.total_bounds  # features meeting the box (areas may reach out a little)
    assert b[0] > minx - 0.01 and b[2] < maxx + 0.01 and b[1] > miny - 0.01 and b[3] < maxy + 0.01


def test_bundle_in_wgs84(print_session, print_settings, tmp_path):
    out = tmp_path / "w.zip"
    build_bundle(print_session, print_settings,
                 BundleRequest(bbox=BBOX, crs=4326, layers=["shelters"]), out)  # fmt: skip
    gpkg = _extract(out, "layers.gpkg", tmp_path)
    assert {n for n, _ in pyogrio.list_layers(gpkg)} == {"area", "districts", "shelters"}
    info = pyogrio.read_info(gpkg, layer="shelters")
    assert CRS.from_user_input(info["crs"]).to_epsg() == 4326
    with zipfile.ZipFile(out) as zf:
        assert not any(n.startswith("csv_gbk/") for n in zf.namelist())  # not asked for


def test_pmtiles_archive_reads_back(bundle, print_session, tmp_path):
    path = _extract(bundle[0], "tiles.pmtiles", tmp_path)
    with path.open("rb") as fh:
        reader = Reader(MmapSource(fh))
        header = reader.header()
        assert header["tile_type"] == TileType.MVT
        assert header["min_zoom"] >= 8 and header["max_zoom"] == 14
        minx, _miny, _maxx, maxy = (float(v) for v in BBOX.split(","))
        assert abs(header["min_lon_e7"] / 1e7 - minx) < 1e-6
        assert abs(header["max_lat_e7"] / 1e7 - maxy) < 1e-6
        assert json.loads(json.dumps(reader.metadata()))["vector_layers"]
        names: set[str] = set()
        count = 0
        for (z, _x, _y), data in all_tiles(MmapSource(fh)):
            count += 1
            if z == 14:
                names |= set(mapbox_vector_tile.decode(gzip.decompress(data)))
    assert count == bundle[1]["pmtiles_tiles"] > 0
    assert {"shelters", "hazard_sources"} <= names


def test_spreadsheet_has_chinese_headers_and_every_resource(bundle, print_session, tmp_path):
    wb = openpyxl.load_workbook(_extract(bundle[0], "resources.xlsx", tmp_path), read_only=True)
    shelters = REGISTRY["shelters"]
    ws = wb[shelters.zh]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    assert header[0] == "编号" and header[-2:] == ("经度", "纬度")
    assert [f.zh for f in shelters.public_fields] == list(header[1:-2])
    assert len(rows) - 1 == count_in_bbox(print_session, "shelters", BBOX)
    ids = {r[0] for r in rows[1:]}
    expected = {
        row[0]
        for row in print_session.execute(
            text("SELECT id FROM shelters WHERE ST_Intersects(geom, "
                 "ST_MakeEnvelope(110.35, 21.25, 110.40, 21.29, 4326))")
        )
    }  # fmt: skip
    assert ids == expected


def test_gbk_csv_is_gbk(bundle, tmp_path):
    raw = _extract(bundle[0], "csv_gbk/shelters.csv", tmp_path).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # Chinese text in GBK is not valid UTF-8
    text_ = raw.decode("gbk")
    assert text_.splitlines()[0].startswith("编号,")
    assert "名称" in text_.splitlines()[0]


def test_pdf_in_bundle_is_the_printed_map(bundle, tmp_path):
    import subprocess

    pdf = _extract(bundle[0], "map.pdf", tmp_path)
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True, timeout=60)
    assert "图例" in out.stdout.decode()


def _bundle_dirs() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("onemap-bundle-*")}


def test_http_bundle_for_editors_only_and_cleaned_up(print_client, print_editor_headers):
    assert print_client.get("/bundle", params={"bbox": BBOX}).status_code == 401
    before = _bundle_dirs()
    r = print_client.get(
        "/bundle", params={"bbox": BBOX, "layers": "shelters"}, headers=print_editor_headers
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        assert "layers.gpkg" in zf.namelist()
    assert _bundle_dirs() <= before  # the temporary folder is gone
    bad = print_client.get(
        "/bundle", params={"bbox": "110.9,20.0,111.0,20.1"}, headers=print_editor_headers
    )
    assert bad.status_code == 422 and "empty" in bad.text
    assert _bundle_dirs() <= before


def test_bundle_tile_limit_is_a_setting(print_session, print_settings, tmp_path):
    from gis_onemap.errors import LimitExceeded

    strict = print_settings.model_copy(update={"bundle_max_tiles": 10})
    out = tmp_path / "b.zip"
    with pytest.raises(LimitExceeded, match="ONEMAP_BUNDLE_MAX_TILES"):
        build_bundle(print_session, strict, BundleRequest(bbox=BBOX, layers=["shelters"]), out)
    assert not out.exists()


def test_incident_bundle_holds_its_surroundings(
    print_client, print_session, print_settings, print_editor_headers, tmp_path
):
    body = {"lon": 110.36, "lat": 21.27, "event_category": "accident", "event_type": "fire"}
    created = print_client.post("/incidents", json=body, headers=print_editor_headers)
    assert created.status_code == 201, created.text
    out = tmp_path / "incident.zip"
    report = build_bundle(
        print_session,
        print_settings,
        BundleRequest(incident_id=created.json()["id"], radius_m=2000),
        out,
    )
    gpkg = _extract(out, "layers.gpkg", tmp_path)
    layers = {name for name, _ in pyogrio.list_layers(gpkg)}
    assert {"area", "surroundings_shelters", "surroundings_hazard_sources"} <= layers
    n = int(
        print_session.execute(
            text(
                "SELECT count(*) FROM shelters WHERE ST_DWithin(geom::geography, "
                "ST_SetSRID(ST_MakePoint(110.36, 21.27), 4326)::geography, 2000, true)"
            )
        ).scalar_one()
    )
    assert pyogrio.read_info(gpkg, layer="surroundings_shelters")["features"] == n > 0
    area = pyogrio.read_dataframe(gpkg, layer="area")
    assert list(area["radius_m"]) == [2000.0]
    assert report.manifest["layers"]["surroundings_shelters"]["features"] == n


def test_cli_bundle(print_settings, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from gis_onemap.cli.main import app
    from gis_onemap.settings import get_settings

    monkeypatch.setenv("ONEMAP_DATABASE_URL", print_settings.resolved_database_url())
    get_settings.cache_clear()
    out = tmp_path / "area.zip"
    try:
        ok = CliRunner().invoke(
            app,
            ["bundle", "--bbox", BBOX, "--layers", "shelters", "--crs", "4326", "--gbk-csv",
             "--out", str(out)],
        )  # fmt: skip
        bad = CliRunner().invoke(app, ["bundle", "--bbox", BBOX, "--crs", "3857", "--out", "x"])
    finally:
        get_settings.cache_clear()
    assert ok.exit_code == 0, ok.output
    with zipfile.ZipFile(out) as zf:
        assert {"layers.gpkg", "csv_gbk/shelters.csv", "manifest.json"} <= set(zf.namelist())
        assert json.loads(zf.read("manifest.json"))["crs"] == "EPSG:4326"
    assert bad.exit_code == 2 and "4490" in bad.output
