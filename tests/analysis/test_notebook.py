"""notebooks/commander_quickstart.ipynb runs top to bottom (nbclient) on the test database."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pyogrio
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "commander_quickstart.ipynb"


@pytest.mark.slow
def test_commander_quickstart_runs(test_database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("ONEMAP_DATABASE_URL", test_database_url)
    monkeypatch.setenv("ONEMAP_NOTEBOOK_OUT", str(tmp_path))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors
    layers = {name for name, _ in pyogrio.list_layers(tmp_path / "commander.gpkg")}
    assert {"rings", "hazard_zones"} <= layers
    assert any(name.startswith("surroundings_") for name in layers)
    html = (tmp_path / "commander_map.html").read_text(encoding="utf-8")
    assert "L.map(" in html and '<script src="http' not in html
