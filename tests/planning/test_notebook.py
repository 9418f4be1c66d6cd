"""notebooks/shelter_planning.ipynb runs top to bottom (nbclient) on the test database:
coverage → gaps → siting 5 new shelters → coverage after."""

from __future__ import annotations

from pathlib import Path

import nbformat
import openpyxl
import pyogrio
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "shelter_planning.ipynb"


@pytest.mark.slow
def test_shelter_planning_notebook_runs(test_database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("ONEMAP_DATABASE_URL", test_database_url)
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
    assert {name for name, _ in pyogrio.list_layers(tmp_path / "shelter_siting.gpkg")} >= {
        "chosen_sites"
    }
    assert "网格" in openpyxl.load_workbook(tmp_path / "shelter_coverage.xlsx").sheetnames
    html = (tmp_path / "shelter_coverage.html").read_text(encoding="utf-8")
    assert "L.map(" in html and '<script src="http' not in html
