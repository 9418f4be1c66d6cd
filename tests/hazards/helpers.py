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


def expected_distances(
    un: str, amount: str, wind_ms: float = 3.0, container: str | None = None
) -> dict[str, Any]:
    """The row's distances for a spill, read from the shipped JSON without the code under test:
    a Table 1 row as it is; a Table 3 row (large spill of one of its six gases) at ``container``
    (default: the largest isolation distance, then the longest night low-wind distance) and the
    wind class of ``wind_ms`` by the file's km/h limits."""
    doc = json.loads(TABLE_FILE.read_text(encoding="utf-8"))
    row = table_row(un)[amount]
    if "table3" not in row:
        return {**row, "container": None, "wind_class": None}
    rows = row["table3"]
    if container is None:
        container = max(rows, key=lambda c: (rows[c]["isolation_m"], rows[c]["night_m"]["low"]))
    kmh, limits = wind_ms * 3.6, doc["table3_wind_classes"]
    wind = (
        "low" if kmh < limits["low_below_kmh"] else "high" if kmh > limits["high_above_kmh"]
        else "moderate"
    )  # fmt: skip
    e = rows[container]
    return {"isolation_m": e["isolation_m"], "day_m": e["day_m"][wind],
            "night_m": e["night_m"][wind], "container": container, "wind_class": wind}  # fmt: skip


def utm49_to_lonlat(x: float, y: float) -> tuple[float, float]:
    """EPSG:32649 metres → WGS84 lon/lat."""
    lon, lat = Transformer.from_crs(32649, 4326, always_xy=True).transform(x, y)
    return float(lon), float(lat)


def ensure_population_table(session: Any) -> None:
    """The population layer of the shelters work (its contract), created inside the test's
    rolled-back transaction unless a migration already made it."""
    from sqlalchemy import text

    if session.execute(text("SELECT to_regclass('population')")).scalar() is None:
        session.execute(
            text(
                "CREATE TABLE population (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                " name text, region_code text, population integer NOT NULL,"
                " population_day integer, population_night integer, kind text,"
                " synthetic boolean, extra jsonb, geom geometry(Geometry, 4326))"
            )
        )


#: Columns besides the counts and the geometry, valid under the population-layer contract.
POPULATION_ROW = "'test', '440802', 'point', true, '{}'::jsonb"


def hide_population_table(session: Any) -> None:
    """Make the population layer absent for this test (renamed inside its rolled-back
    transaction), for the behaviour without it once a migration creates it."""
    from sqlalchemy import text

    if session.execute(text("SELECT to_regclass('population')")).scalar() is not None:
        session.execute(text("ALTER TABLE population RENAME TO population_hidden_by_test"))
