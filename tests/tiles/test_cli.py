"""``onemap tiles export`` writes a PMTiles archive; ``onemap tiles seed`` fills the disk cache."""

from __future__ import annotations

import gzip
import random

import pytest
from pmtiles.reader import MmapSource, Reader
from sqlalchemy import text
from typer.testing import CliRunner

from gis_onemap.cli.main import app as cli
from gis_onemap.settings import get_settings
from tests.tiles.conftest import WMQ, decode

BOX = (113.30, 23.10, 113.34, 23.13)  # Guangzhou: away from the other tests' features


@pytest.fixture
def committed(engine):
    """20 committed rescue teams (the CLI uses its own connections), removed afterwards."""
    rng = random.Random(1)
    points = [(rng.uniform(BOX[0], BOX[2]), rng.uniform(BOX[1], BOX[3])) for _ in range(20)]
    with engine.begin() as conn:
        ids = [
            conn.execute(
                text(
                    "INSERT INTO rescue_teams (name, tier, geom) VALUES "
                    "('cli', 'professional', ST_SetSRID(ST_MakePoint(:x, :y), 4326)) RETURNING id"
                ),
                {"x": x, "y": y},
            ).scalar_one()
            for x, y in points
        ]
    yield dict(zip(ids, points, strict=True))
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM rescue_teams WHERE id = ANY(:ids)"), {"ids": ids})


@pytest.fixture
def cli_env(settings, monkeypatch, tmp_path):
    monkeypatch.setenv("ONEMAP_DATABASE_URL", settings.resolved_database_url())
    monkeypatch.setenv("ONEMAP_TILE_CACHE_DIR", str(tmp_path / "cache"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_export_pmtiles_holds_the_tiles(committed, cli_env):
    out = cli_env / "area.pmtiles"
    bbox = ",".join(str(v) for v in BOX)
    result = CliRunner().invoke(
        cli, ["tiles", "export", "--out", str(out), "--zoom", "12-14", "--bbox", bbox, "-c",
              "rescue_teams"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with out.open("rb") as f:
        reader = Reader(MmapSource(f))
        header = reader.header()
        assert (header["min_zoom"], header["max_zoom"]) == (12, 14)
        assert [v["id"] for v in reader.metadata()["vector_layers"]] == ["rescue_teams"]
        seen = set()
        for tile in {WMQ.tile(x, y, 14) for x, y in committed.values()}:
            layer = decode(gzip.decompress(reader.get(14, tile.x, tile.y)))["rescue_teams"]
            ids = {f["id"] for f in layer["features"]}
            assert ids == {i for i, (x, y) in committed.items() if WMQ.tile(x, y, 14) == tile}
            seen |= ids
    assert seen == set(committed)


def test_seed_fills_the_disk_cache_the_server_reads(committed, cli_env, settings):
    from fastapi.testclient import TestClient

    from gis_onemap.api.app import create_app

    bbox = ",".join(str(v) for v in BOX)
    result = CliRunner().invoke(
        cli, ["tiles", "seed", "--zoom", "13-14", "--bbox", bbox, "-c", "rescue_teams"]
    )
    assert result.exit_code == 0, result.output
    assert list((cli_env / "cache" / "rescue_teams").rglob("*.mvt"))
    app = create_app(settings.model_copy(update={"tile_cache_dir": cli_env / "cache"}))
    x, y = next(iter(committed.values()))
    tile = WMQ.tile(x, y, 14)
    with TestClient(app) as client:
        r = client.get(f"/collections/rescue_teams/tiles/WebMercatorQuad/14/{tile.x}/{tile.y}")
        assert r.status_code == 200
        assert client.app.state.tile_service.cache.hits == 1  # served from the seeded files
        assert client.app.state.tile_service.cache.misses == 0
        client.app.state.tile_service.close()


def test_seed_needs_a_cache_dir_and_checks_its_options(cli_env, monkeypatch):
    bad = CliRunner().invoke(cli, ["tiles", "seed", "--zoom", "3-30"])
    assert bad.exit_code == 2 and "zoom range" in bad.output
    monkeypatch.delenv("ONEMAP_TILE_CACHE_DIR")
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, ["tiles", "seed", "--zoom", "0-2"])
    assert result.exit_code == 2 and "ONEMAP_TILE_CACHE_DIR" in result.output
