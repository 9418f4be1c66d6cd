"""``onemap load`` / ``onemap export`` against the test database (rows cleaned up after)."""

from __future__ import annotations

from collections.abc import Iterator

import pyogrio
import pytest
from sqlalchemy import delete
from typer.testing import CliRunner

from gis_onemap.cli.main import app
from gis_onemap.db.tables import table_for
from gis_onemap.settings import get_settings
from tests.io.helpers import write_csv

PREFIX = "CLI测试"


@pytest.fixture
def cli_db(test_database_url, engine, monkeypatch) -> Iterator[None]:
    """The CLI commits: point it at the test database and delete its rows afterwards."""
    monkeypatch.setenv("ONEMAP_DATABASE_URL", test_database_url)
    get_settings.cache_clear()
    try:
        yield
    finally:
        get_settings.cache_clear()
        t = table_for("depots")
        with engine.begin() as conn:
            conn.execute(delete(t).where(t.c.name.startswith(PREFIX)))


def test_load_then_export(cli_db, tmp_path):
    rows = [[f"{PREFIX}{i}号库", "市级", 110.3 + i / 1000, 21.2] for i in range(5)]
    path = write_csv(tmp_path / "depots.csv", ["名称", "储备库级别", "经度", "纬度"], rows, "gbk")
    runner = CliRunner()

    dry = runner.invoke(app, ["load", str(path), "-c", "depots", "--dry-run", "--no-progress"])
    assert dry.exit_code == 0, dry.output
    assert "would import 5" in dry.output and "nothing written" in dry.output

    done = runner.invoke(app, ["load", str(path), "-c", "depots", "--json", "--no-progress"])
    assert done.exit_code == 0, done.output
    assert '"imported": 5' in done.output

    again = runner.invoke(app, ["load", str(path), "-c", "depots", "--on-duplicate", "error"])
    assert again.exit_code == 1
    assert "duplicate of feature" in again.output

    out = tmp_path / "depots.gpkg"
    exported = runner.invoke(
        app,
        ["export", "-c", "depots", "-f", "gpkg", "-o", str(out), "--no-progress",
         "--filter", f"name LIKE '{PREFIX}%'", "--crs", "EPSG:4490"],
    )  # fmt: skip
    assert exported.exit_code == 0, exported.output
    frame = pyogrio.read_dataframe(out)
    assert sorted(frame["name"]) == sorted(r[0] for r in rows)
    assert set(frame["depot_level"]) == {"municipal"}
    assert frame.crs.to_epsg() == 4490


def test_bad_row_exit_code_and_report(cli_db, tmp_path):
    rows = [
        [f"{PREFIX}甲", "municipal", 110.3, 21.2],
        [f"{PREFIX}乙", "municipal", "东经110", 21.2],
    ]
    path = write_csv(tmp_path / "depots.csv", ["name", "depot_level", "lon", "lat"], rows)
    result = CliRunner().invoke(app, ["load", str(path), "-c", "depots", "--no-progress"])
    assert result.exit_code == 1
    assert "row 2 (line 3): 'lon' is not a number: '东经110'" in result.output


def test_unknown_category_and_format(cli_db, tmp_path):
    path = write_csv(tmp_path / "x.csv", ["name"], [["a"]])
    runner = CliRunner()
    result = runner.invoke(app, ["load", str(path), "-c", "castles"])
    assert result.exit_code == 1 and "unknown collection 'castles'" in result.output
    result = runner.invoke(app, ["export", "-c", "depots", "-f", "dwg", "-o", str(tmp_path / "a")])
    assert result.exit_code == 1 and "unknown format 'dwg'" in result.output
