"""Helpers for the planning tests: population cells and shelters at geodesic offsets."""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from pyproj import Geod
from scipy.optimize import linprog
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.analysis.helpers import add, offset

GEOD = Geod(ellps="WGS84")
#: A spot in the sea south of Hainan: no demo data near it, so a test sees only its own rows.
ORIGIN = (111.0, 17.0)


def at(east_m: float, north_m: float) -> tuple[float, float]:
    """The point ``east_m`` east and ``north_m`` north of :data:`ORIGIN` (geodesic)."""
    lon, lat = offset(*ORIGIN, 90.0, east_m) if east_m else ORIGIN
    return offset(lon, lat, 0.0, north_m) if north_m else (lon, lat)


def add_cell(
    session: Session, lon: float, lat: float, population: int, half_m: float = 50.0, **kw: Any
) -> int:
    """A square cell of side 2 × ``half_m`` centred at (lon, lat)."""
    x0, _ = offset(lon, lat, 270.0, half_m)
    x1, _ = offset(lon, lat, 90.0, half_m)
    _, y0 = offset(lon, lat, 180.0, half_m)
    _, y1 = offset(lon, lat, 0.0, half_m)
    wkt = shapely.box(x0, y0, x1, y1).wkt
    return int(
        session.execute(
            text(
                "INSERT INTO population (name, region_code, population, kind, synthetic, geom)"
                " VALUES (:name, :code, :pop, 'grid', false, ST_GeomFromText(:wkt, 4326))"
                " RETURNING id"
            ),
            {"name": kw.get("name"), "code": kw.get("region_code"), "pop": population, "wkt": wkt},
        ).scalar_one()
    )


def add_shelter(session: Session, lon: float, lat: float, capacity: int, **props: Any) -> int:
    """An emergency shelter (1 m² per person) holding ``capacity`` people."""
    name = props.pop("name", "s")
    values = {"shelter_type": "emergency", "effective_area_m2": float(capacity),
              "capacity": capacity, **props}  # fmt: skip
    return add(session, "shelters", lon, lat, name=name, **values)


def distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Geodesic metres between two lon/lat points."""
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


def lp_max_covered(demand: list[float], capacity: list[float], reach: np.ndarray) -> float:
    """The most people housable: an LP written here with a dense matrix (independent of the
    code under test). ``reach[i, j]``: shelter j within reach of cell i."""
    n, m = reach.shape
    c = -reach.astype(float).ravel()  # x[i, j] exists only where reachable (else bound 0)
    a_ub = np.zeros((n + m, n * m))
    for i in range(n):
        a_ub[i, i * m : (i + 1) * m] = 1
    for j in range(m):
        a_ub[n + j, j::m] = 1
    bounds = [(0, None if r else 0) for r in reach.ravel()]
    res = linprog(c, A_ub=a_ub, b_ub=np.array(demand + capacity, float), bounds=bounds)
    assert res.status == 0
    return -float(res.fun)


def greedy_nearest_first(
    demand: list[float], capacity: list[float], dist: np.ndarray, reach: np.ndarray
) -> float:
    """Each cell in turn fills its nearest reachable shelters first (the rule planners use by
    hand), written here independently."""
    left = list(capacity)
    housed = 0.0
    for i, need in enumerate(demand):
        for j in np.argsort(dist[i]):
            if not reach[i, j] or need <= 0:
                continue
            take = min(need, left[j])
            left[j] -= take
            need -= take
            housed += take
    return housed
