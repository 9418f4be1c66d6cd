"""Service-area polygons for large bands, drawn on a grid instead of by buffering every road.

Buffering and dissolving the reached roads (``sql/service_area.sql``) is exact but its union
grows faster than linearly: 26,000 road parts took 6.6 s and a 30-minute band of a 200,000-edge
city minutes (bench/roads.py). Above :data:`gis_onemap.roads.areas.MAX_VECTOR_PARTS` parts the
band is drawn here instead:

1. every reached edge is sampled every cell; each sample's arrival time is the earlier of
   "enter at the source end, move along" and "enter at the target end, move against", from the
   Dijkstra times of both ends (the same rule as the SQL: a one-way edge only one way);
2. a band is the set of grid cells holding a sample reached within its time, grown by one cell;
3. contourpy traces the cells' outline (with holes) into polygons.

So "inside" means: within about one cell (``resolution_m``, reported) of a road reachable within
the band's time. The cell is sized so that the grid is at most :data:`MAX_CELLS` cells across.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import contourpy
import numpy as np
import shapely

#: Most cells along the longer side of the grid (bounds memory and time of one band).
MAX_CELLS = 1000
#: Finest cell (m): finer would draw single carriageways for no gain at this scale.
MIN_CELL_M = 10.0
_M_PER_DEG = 111_320.0


def sample_times(
    geoms: np.ndarray,
    cost: np.ndarray,
    rcost: np.ndarray,
    at_source: np.ndarray,
    at_target: np.ndarray,
    spacing_deg: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points along each edge (every ``spacing_deg`` or closer) and the time each is reached.

    ``at_source``/``at_target``: arrival time at the edge's ends (NaN = not reached);
    ``cost``/``rcost``: time along / against the edge (< 0 = that way is closed).

    >>> line = np.array([shapely.LineString([(0, 0), (0.001, 0)])])
    >>> x, y, t = sample_times(line, np.array([10.0]), np.array([-1.0]),
    ...                        np.array([100.0]), np.array([np.nan]), 0.0005)
    >>> x.tolist(), t.tolist()
    ([0.0, 0.0005, 0.001], [100.0, 105.0, 110.0])
    """
    x, y, idx, frac = sample_points(geoms, spacing_deg)
    return x, y, times_at(idx, frac, cost, rcost, at_source, at_target)


def sample_points(
    geoms: np.ndarray, spacing_deg: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Points along each line every ``spacing_deg`` or closer.

    x, y, the line's index and the fraction of the line's length at which the point lies (what
    :func:`times_at` needs).

    >>> line = np.array([shapely.LineString([(0, 0), (0.001, 0)])])
    >>> [a.tolist() for a in sample_points(line, 0.0005)]
    [[0.0, 0.0005, 0.001], [0.0, 0.0, 0.0], [0, 0, 0], [0.0, 0.5, 1.0]]
    """
    # numpy instead of shapely.segmentize (0.65 s for 170,000 edges): each segment of each line
    # is cut into n equal steps no longer than the spacing; the samples are the step starts
    # and every segment's end
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    valid = idx[1:] == idx[:-1]
    a, b, line = coords[:-1][valid], coords[1:][valid], idx[1:][valid]
    d = b - a
    seglen = np.hypot(d[:, 0] * np.cos(np.radians(a[:, 1])), d[:, 1])
    cs = np.cumsum(seglen) - seglen  # along-line offset of each segment's start, per line ...
    start = cs - cs[np.searchsorted(line, line)]  # ... relative to the line's first segment
    total = np.bincount(line, weights=seglen, minlength=len(geoms))
    n = np.maximum(1, np.ceil(np.hypot(d[:, 0], d[:, 1]) / spacing_deg)).astype(np.int64)
    rep = np.repeat(np.arange(len(n)), n)
    u = (np.arange(len(rep)) - np.repeat(np.cumsum(n) - n, n)) / n[rep]
    pts = np.concatenate([a[rep] + d[rep] * u[:, None], b])
    along = np.concatenate([start[rep] + seglen[rep] * u, start + seglen])
    idx = np.concatenate([line[rep], line])
    tot = total[idx]
    frac = np.divide(along, tot, out=np.zeros_like(along), where=tot > 0)
    return pts[:, 0], pts[:, 1], idx, frac


def times_at(
    idx: np.ndarray,
    frac: np.ndarray,
    cost: np.ndarray,
    rcost: np.ndarray,
    at_source: np.ndarray,
    at_target: np.ndarray,
) -> np.ndarray:
    """The time each sample (edge ``idx``, ``frac`` along it) is reached.

    The earlier of "enter at the source, move along" and "enter at the target, move against" (NaN =
    that end not reached; a cost < 0 closes that way).

    >>> times_at(np.array([0, 0]), np.array([0.25, 1.0]), np.array([8.0]), np.array([8.0]),
    ...          np.array([100.0]), np.array([np.nan])).tolist()
    [102.0, 108.0]
    """
    inf = np.inf
    c, rc, a, b = cost[idx], rcost[idx], at_source[idx], at_target[idx]
    forward = np.where(~np.isnan(a) & (c >= 0), a + frac * np.maximum(c, 0), inf)
    backward = np.where(~np.isnan(b) & (rc >= 0), b + (1 - frac) * np.maximum(rc, 0), inf)
    return np.minimum(forward, backward)


def cell_size_m(extent_m: float) -> float:
    """The grid cell (m) for a band ``extent_m`` across.

    ≥ 10 m, ≤ 1,000 cells, one of 10 m × √2ⁿ (a few sizes, so the samples along the roads can be
    cached per size).

    >>> cell_size_m(5_000), cell_size_m(40_000), round(cell_size_m(39_000), 2)
    (10.0, 40.0, 40.0)
    """
    raw = max(MIN_CELL_M, extent_m / MAX_CELLS)
    steps = math.ceil(round(2 * math.log2(raw / MIN_CELL_M), 9))
    return float(round(MIN_CELL_M * math.sqrt(2) ** steps, 6))


def polygons(
    x: np.ndarray, y: np.ndarray, t: np.ndarray, bands_s: Sequence[float], cell_m: float
) -> list[shapely.Geometry | None]:
    """One (Multi)Polygon per band.

    The cells holding a sample reached in time, grown by one cell, outlined by contourpy (``None``
    for a band nothing reaches).
    """
    ok = np.isfinite(t)
    x, y, t = x[ok], y[ok], t[ok]
    if not len(t):
        return [None for _ in bands_s]
    lat0 = float(np.mean(y))
    cy = cell_m / _M_PER_DEG
    cx = cell_m / (_M_PER_DEG * max(math.cos(math.radians(lat0)), 1e-6))
    x0, y0 = float(x.min()) - 3 * cx, float(y.min()) - 3 * cy
    ix = ((x - x0) / cx).astype(np.int64)
    iy = ((y - y0) / cy).astype(np.int64)
    nx, ny = int(ix.max()) + 4, int(iy.max()) + 4
    xs = x0 + (np.arange(nx) + 0.5) * cx
    ys = y0 + (np.arange(ny) + 0.5) * cy
    out: list[shapely.Geometry | None] = []
    for band in bands_s:
        sel = t <= band
        if not sel.any():
            out.append(None)
            continue
        grid = np.zeros((ny, nx), dtype=bool)
        grid[iy[sel], ix[sel]] = True
        grown = grid.copy()  # one cell around: the outline passes half a cell beyond a road
        for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (1, -1), (-1, 1), (-1, -1)):
            grown |= np.roll(np.roll(grid, dy, axis=0), dx, axis=1)
        gen = contourpy.contour_generator(
            xs, ys, grown.astype(np.float64), fill_type=contourpy.FillType.OuterOffset
        )
        filled = gen.filled(0.5, 1.5)
        points: list[Any] = list(filled[0])  # OuterOffset: per polygon, its points ...
        offsets: list[Any] = list(filled[1])  # ... and where each ring starts
        parts = []
        for pts, offs in zip(points, offsets, strict=True):
            rings = [pts[offs[i] : offs[i + 1]] for i in range(len(offs) - 1)]
            parts.append(shapely.Polygon(rings[0], rings[1:]))
        out.append(shapely.MultiPolygon(parts) if len(parts) > 1 else parts[0])
    return out


def feature_geometry(geom: Any) -> dict[str, Any] | None:
    """GeoJSON of a band (coordinates rounded to 1e-7°, ≈ 1 cm)."""
    if geom is None:
        return None
    # rounding the coordinates, not shapely.set_precision (which re-nodes the whole outline:
    # 0.15 s for a city-wide band); the outline runs on cell edges, far apart at 1e-7°
    out: dict[str, Any] = shapely.geometry.mapping(
        shapely.transform(geom, lambda c: np.round(c, 7))
    )
    return out
