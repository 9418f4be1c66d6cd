"""notebooks/shelter_planning.ipynb runs top to bottom (nbclient) on the test database:
coverage → gaps → siting 5 new shelters → coverage after."""

from __future__ import annotations

import openpyxl
import pyogrio
import pytest

from tests.helpers.notebooks import run_notebook
from tests.live_server import demo_database


@pytest.mark.slow
def test_shelter_planning_notebook_runs(test_database_url, tmp_path, monkeypatch):
    # the demo city already committed (a template copy): the notebook's own load_demo would
    # add ~10 s inside its rolled-back transaction, and is tested in tests/test_demo_data.py
    monkeypatch.setenv("ONEMAP_DATABASE_URL", demo_database(test_database_url, "notebooks"))
    monkeypatch.setenv("ONEMAP_NOTEBOOK_OUT", str(tmp_path))
    run_notebook("shelter_planning.ipynb", tmp_path, timeout=300)
    assert {name for name, _ in pyogrio.list_layers(tmp_path / "shelter_siting.gpkg")} >= {
        "chosen_sites"
    }
    assert "网格" in openpyxl.load_workbook(tmp_path / "shelter_coverage.xlsx").sheetnames
    html = (tmp_path / "shelter_coverage.html").read_text(encoding="utf-8")
    assert "L.map(" in html and '<script src="http' not in html
