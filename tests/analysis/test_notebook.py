"""notebooks/commander_quickstart.ipynb runs top to bottom (nbclient) on the test database."""

from __future__ import annotations

import pyogrio
import pytest

from tests.helpers.notebooks import run_notebook
from tests.live_server import demo_database


@pytest.mark.slow
def test_commander_quickstart_runs(test_database_url, tmp_path, monkeypatch):
    # the demo city already committed (a template copy): the notebook's own load_demo would
    # add ~10 s inside its rolled-back transaction, and is tested in tests/test_demo_data.py
    monkeypatch.setenv("ONEMAP_DATABASE_URL", demo_database(test_database_url, "notebooks"))
    monkeypatch.setenv("ONEMAP_NOTEBOOK_OUT", str(tmp_path))
    run_notebook("commander_quickstart.ipynb", tmp_path, timeout=120)
    layers = {name for name, _ in pyogrio.list_layers(tmp_path / "commander.gpkg")}
    assert {"rings", "hazard_zones"} <= layers
    assert any(name.startswith("surroundings_") for name in layers)
    html = (tmp_path / "commander_map.html").read_text(encoding="utf-8")
    assert "L.map(" in html and '<script src="http' not in html
