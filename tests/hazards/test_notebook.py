"""notebooks/hazard_analysis.ipynb runs top to bottom (nbclient) against a live demo server."""

from __future__ import annotations

import pyogrio
import pytest

from gis_onemap.settings import Settings
from tests.helpers.notebooks import run_notebook
from tests.live_server import demo_database, live_server


@pytest.mark.slow
def test_hazard_analysis_notebook_runs(test_database_url, tmp_path, monkeypatch):
    url = demo_database(test_database_url, "hazards_nb")
    with live_server(Settings(database_url=url)) as base:
        monkeypatch.setenv("ONEMAP_SERVER_URL", base)
        monkeypatch.setenv("ONEMAP_NOTEBOOK_OUT", str(tmp_path))
        run_notebook("hazard_analysis.ipynb", tmp_path, timeout=300)
    layers = {name for name, _ in pyogrio.list_layers(tmp_path / "hazard_analysis.gpkg")}
    assert {"release_zones", "targets_in_zones", "risk_map"} <= layers
    zones = pyogrio.read_dataframe(tmp_path / "hazard_analysis.gpkg", layer="release_zones")
    assert {"isolation", "protective_action"} <= set(zones["zone"])
    html = (tmp_path / "hazard_analysis.html").read_text(encoding="utf-8")
    assert "L.map(" in html and '<script src="http' not in html
