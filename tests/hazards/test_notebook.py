"""notebooks/hazard_analysis.ipynb runs top to bottom (nbclient) against a live demo server."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pyogrio
import pytest
from nbclient import NotebookClient

from gis_onemap.settings import Settings
from tests.live_server import demo_database, live_server

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "hazard_analysis.ipynb"


@pytest.mark.slow
def test_hazard_analysis_notebook_runs(test_database_url, tmp_path, monkeypatch):
    url = demo_database(test_database_url, "hazards_nb")
    with live_server(Settings(database_url=url)) as base:
        monkeypatch.setenv("ONEMAP_SERVER_URL", base)
        monkeypatch.setenv("ONEMAP_NOTEBOOK_OUT", str(tmp_path))
        nb = nbformat.read(NOTEBOOK, as_version=4)
        NotebookClient(
            nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
        ).execute()
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors
    layers = {name for name, _ in pyogrio.list_layers(tmp_path / "hazard_analysis.gpkg")}
    assert {"release_zones", "targets_in_zones", "risk_map"} <= layers
    zones = pyogrio.read_dataframe(tmp_path / "hazard_analysis.gpkg", layer="release_zones")
    assert {"isolation", "protective_action"} <= set(zones["zone"])
    html = (tmp_path / "hazard_analysis.html").read_text(encoding="utf-8")
    assert "L.map(" in html and '<script src="http' not in html
