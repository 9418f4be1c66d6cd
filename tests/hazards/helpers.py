"""Helpers of the hazard-analysis tests: the shipped table read independently, UTM cell centres."""

from __future__ import annotations

import json
from typing import Any

from pyproj import Transformer

from gis_onemap.hazards.table import TABLE_FILE


def table_row(un: str) -> dict[str, Any]:
    """The toxic row of the shipped JSON for a UN number (read without the code under test)."""
    doc = json.loads(TABLE_FILE.read_text(encoding="utf-8"))
    return next(r for r in doc["toxic"] if r["un"] == un)


def utm49_to_lonlat(x: float, y: float) -> tuple[float, float]:
    """EPSG:32649 metres → WGS84 lon/lat."""
    lon, lat = Transformer.from_crs(32649, 4326, always_xy=True).transform(x, y)
    return float(lon), float(lat)
