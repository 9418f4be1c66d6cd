"""The demo city's SYNTHETIC population grid.

``data/demo/population.geojson``, made by ``data/demo_population.py``, loaded by ``onemap demo``
into an empty population layer.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis_onemap.planning.population_io import import_population
from gis_onemap.planning.sources import population_present

POPULATION_FILE = "population.geojson"


def load_demo_population(session: Session, data_dir: Path) -> str:
    """Load the grid when the layer exists and is empty; a phrase saying what was done."""
    path = data_dir / POPULATION_FILE
    if not path.is_file() or not population_present(session):
        return ""
    if session.execute(text("SELECT EXISTS (SELECT 1 FROM population)")).scalar_one():
        return ""
    report = import_population(session, path, synthetic=True)
    return f"; synthetic population grid: {report.imported:,} cells, {report.population:,} people"
