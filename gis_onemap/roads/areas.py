"""Service areas (isochrones): where one can get to from a point, or come from, within T minutes.

Every node's time from the origin (on the reversed graph: to it) comes from one Dijkstra bounded
by the longest band over the network held in memory (:mod:`gis_onemap.roads.network`: the edges
and costs pgRouting routes on, read once per load; ``pgr_drivingDistance`` built its graph of
every edge per call, most of a 30-minute area's time). A band's area is then drawn from the
*roads*, not from a hull of nodes: each edge contributes the part of it that can be reached in
time (from either end it may be entered, by its direction and the time left on arrival), and
these parts are buffered by a few metres. A convex or concave hull of the reached nodes would
also cover blocks across a river or an expressway that take far longer to reach; the buffered
roads do not, which is what the tests check (every node inside is reachable within the band's
time: a node the few-metre buffer covers but that is not reached in time is cut out with a 1 m
hole).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from importlib import resources
from typing import Any

import numpy as np
import orjson
import shapely
import shapely.geometry
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis_onemap.errors import InvalidInput
from gis_onemap.roads import area_raster, network
from gis_onemap.roads.routing import Box, Snap, edges_sql, max_speed_mps

#: Longest band one request may ask for (minutes): bounds the work of one request.
MAX_MINUTES = 240.0
#: Above this many reached road parts the bands are drawn on a grid (:mod:`area_raster`):
#: buffering and dissolving every road grows too slow (6.6 s for 26,000 parts).
MAX_VECTOR_PARTS = 5000

#: Most bands per request.
MAX_BANDS = 12

_AREA_SQL = (
    resources.files("gis_onemap.roads").joinpath("sql", "service_area.sql").read_text("utf-8")
)


def check_minutes(
    minutes: Sequence[float], max_minutes: float = MAX_MINUTES, max_bands: int = MAX_BANDS
) -> list[float]:
    """Bands in minutes: 0 < m ≤ 240, at most 12, sorted, distinct.

    >>> check_minutes([30, 10, 20, 10])
    [10.0, 20.0, 30.0]
    >>> check_minutes([0])
    Traceback (most recent call last):
    ...
    gis_onemap.errors.InvalidInput: minutes must be > 0 and ≤ 240 (got 0)
    """
    if not minutes:
        raise InvalidInput("give at least one band in minutes, e.g. minutes=10,20,30")
    if len(minutes) > max_bands:
        raise InvalidInput(f"at most {max_bands} bands")
    out = set()
    for m in minutes:
        if not (0 < m <= max_minutes):
            raise InvalidInput(f"minutes must be > 0 and ≤ {max_minutes:g} (got {m:g})")
        out.add(float(m))
    return sorted(out)


def service_area(
    session: Session,
    origin: Snap,
    minutes: Sequence[float],
    *,
    towards: bool = False,
    buffer_m: float = 5.0,
    avoid_closures: bool = True,
    avoid_areas: bool = False,
    max_minutes: float = MAX_MINUTES,
    max_bands: int = MAX_BANDS,
) -> dict[str, Any]:
    """A FeatureCollection with one polygon per band (cumulative).

    The 20-minute band holds the 10-minute one. ``towards=True``: from where the origin can be
    reached within each band.
    """
    bands = check_minutes(minutes, max_minutes, max_bands)
    cutoff = bands[-1] * 60
    net = network.current(session)
    closed = network.closed_edges(session, avoid_closures=avoid_closures, avoid_areas=avoid_areas)
    open_edges = net.edge_mask(closed)
    dist = net.times(origin.vertex, cutoff, open_edges, towards)
    at_a, at_b = dist[net.src], dist[net.dst]
    reached = open_edges & (np.isfinite(at_a) | np.isfinite(at_b))
    if int(reached.sum()) > MAX_VECTOR_PARTS:
        return _collection(origin, _raster_bands(net, reached, at_a, at_b, bands, towards))
    box = Box.around(origin.lon, origin.lat, cutoff * max_speed_mps(session) + 1.0)
    edges = edges_sql(box, avoid_closures=avoid_closures, avoid_areas=avoid_areas, reverse=towards)
    c, rc = ("e.reverse_cost_s", "e.cost_s") if towards else ("e.cost_s", "e.reverse_cost_s")
    near = np.isfinite(dist)
    sql = _AREA_SQL.format(c=c, rc=rc, edges=edges)
    rows = session.execute(
        text(sql),
        {
            "nodes": net.vertex_id[near].tolist(),
            "costs": dist[near].tolist(),
            "bands": [m * 60 for m in bands],
            "buffer_m": buffer_m,
        },
    ).all()
    by_band = {float(t): (geojson, n) for t, geojson, n in rows}
    features = []
    area = None
    for m in bands:
        geojson, n = by_band.get(m * 60, (None, 0))
        if geojson:
            # each band is buffered on its own; the union with the previous one makes them
            # nested exactly (buffers of the same lines differ by rounding otherwise)
            band = shapely.geometry.shape(orjson.loads(geojson))
            area = band if area is None else shapely.union(area, band)
        features.append(
            {
                "type": "Feature",
                "geometry": None if area is None else shapely.geometry.mapping(area),
                "properties": {
                    "minutes": m,
                    "direction": "to" if towards else "from",
                    "road_parts": int(n),
                },
            }
        )
    return _collection(origin, features)


def _raster_bands(
    net: network.Network,
    reached: np.ndarray,
    at_a: np.ndarray,
    at_b: np.ndarray,
    bands: Sequence[float],
    towards: bool,
) -> list[Any]:
    """The bands of a large area drawn on a grid (see :mod:`gis_onemap.roads.area_raster`)."""
    xmin, ymin = net.bounds[reached, 0].min(), net.bounds[reached, 1].min()
    xmax, ymax = net.bounds[reached, 2].max(), net.bounds[reached, 3].max()
    coslat = math.cos(math.radians((ymin + ymax) / 2))
    extent_m = max((xmax - xmin) * coslat, ymax - ymin) * 111_320.0
    cell = area_raster.cell_size_m(extent_m)
    # a sample every cell: with the one-cell growth the band stays connected along each road
    samples = net.samples(cell / 111_320.0)
    sel = reached[samples.edge]
    cost, rcost = (net.rcost, net.cost) if towards else (net.cost, net.rcost)
    nan_a = np.where(np.isfinite(at_a), at_a, np.nan)
    nan_b = np.where(np.isfinite(at_b), at_b, np.nan)
    t = area_raster.times_at(samples.edge[sel], samples.frac[sel], cost, rcost, nan_a, nan_b)
    first = np.fmin(at_a, at_b)[reached]
    shapes = area_raster.polygons(samples.x[sel], samples.y[sel], t, [m * 60 for m in bands], cell)
    return [
        {
            "type": "Feature",
            "geometry": area_raster.feature_geometry(shape),
            "properties": {
                "minutes": m,
                "direction": "to" if towards else "from",
                "road_parts": int(np.sum(first <= m * 60)),
                "resolution_m": round(float(cell), 1),
            },
        }
        for m, shape in zip(bands, shapes, strict=True)
    ]


def _collection(origin: Snap, features: list[Any]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": features,
        "origin": {
            "vertex": origin.vertex,
            "snap_distance_m": round(origin.distance_m, 2),
            "lon": origin.lon,
            "lat": origin.lat,
        },
    }
