"""Square and hexagonal grids in metres, aligned to the UTM zone.

So every request (and every tile) of the same cell size draws the same cells.

Hexagons are generated here with numpy and shapely rather than taken from h3: h3's cells come
only in fixed resolutions (each 1/7 of the area of the one above, e.g. res 8 ≈ 0.74 km²), so an
arbitrary ``size_m`` between 100 m and 50 km cannot be honoured. ``size_m`` is the side of a
square and the edge of a (flat-topped) hexagon, whose area is 2.598 × size_m².
UTM is conformal with a scale error under 0.04 % inside its zone, so cell sizes and reach
distances in it are metres to that accuracy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import shapely
from pyproj import CRS, Transformer

from gis_onemap.errors import InvalidInput, LimitExceeded

CellKind = Literal["hex", "square"]
#: Widest area (degrees of longitude or latitude) one grid may span: one UTM zone is 6° wide,
#: and 3° beyond its edges the scale error is still under 1 %; wider areas → 400.
MAX_SPAN_DEG = 12.0
SQRT3 = math.sqrt(3.0)


def utm_crs(lon: float, lat: float) -> CRS:
    """The WGS84 UTM zone holding (lon, lat).

    >>> utm_crs(110.36, 21.27).to_epsg(), utm_crs(-70.0, -33.0).to_epsg()
    (32649, 32719)
    """
    zone = min(60, max(1, int((lon + 180.0) // 6.0) + 1))
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


@dataclass
class Grid:
    """Cells in projected metres (``cells``), their WGS84 outlines and stable ids."""

    crs: CRS
    cells: np.ndarray  # shapely polygons, projected
    ids: list[str]
    to_proj: Transformer
    to_wgs84: Transformer

    def wgs84(self) -> np.ndarray:
        """The cells as WGS84 polygons (each vertex transformed)."""
        out: np.ndarray = shapely.transform(self.cells, lambda xy: np.column_stack(
            self.to_wgs84.transform(xy[:, 0], xy[:, 1])
        ))  # fmt: skip
        return out


def cell_count(kind: CellKind, size_m: float, width_m: float, height_m: float) -> int:
    """About how many cells cover a ``width_m`` × ``height_m`` area (for the limit check).

    >>> cell_count("square", 500, 10_000, 5_000), cell_count("hex", 500, 10_000, 5_000)
    (200, 77)
    """
    per_cell = size_m * size_m if kind == "square" else 1.5 * SQRT3 * size_m * size_m
    return math.ceil(max(0.0, width_m * height_m) / per_cell)


def hex_centres(
    size_m: float, x0: float, y0: float, x1: float, y1: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Centres and (column, row) indices of flat-topped hexagons that may touch the box.

    Hexagons of edge ``size_m``; column spacing 1.5·s, row spacing √3·s, odd columns shifted up.

    >>> x, y, i, j = hex_centres(1.0, 0.0, 0.0, 1.0, 1.0)
    >>> bool(((x == 0) & (y == 0)).any()), bool(((x == 1.5) & np.isclose(y, SQRT3 / 2)).any())
    (True, True)
    """
    dx, dy = 1.5 * size_m, SQRT3 * size_m
    cols = np.arange(math.floor((x0 - size_m) / dx), math.ceil((x1 + size_m) / dx) + 1)
    rows = np.arange(math.floor((y0 - dy) / dy), math.ceil((y1 + dy) / dy) + 1)
    grid_i, grid_j = np.meshgrid(cols, rows, indexing="ij")
    ii, jj = grid_i.ravel(), grid_j.ravel()
    x = ii * dx
    y = jj * dy + (ii % 2) * dy / 2
    return x, y, ii, jj


def make_grid(
    kind: CellKind,
    size_m: float,
    bbox: tuple[float, float, float, float],
    max_cells: int,
    area: shapely.Geometry | None = None,
) -> Grid:
    """Cells of ``kind``/``size_m`` covering the WGS84 ``bbox`` (or ``area`` inside it).

    Raises :class:`LimitExceeded` when more than ``max_cells`` would be drawn, before drawing.
    """
    lon0, lat0, lon1, lat1 = bbox
    if lon1 - lon0 > MAX_SPAN_DEG or lat1 - lat0 > MAX_SPAN_DEG or max(abs(lat0), abs(lat1)) > 84:
        raise InvalidInput(
            f"the area may span at most {MAX_SPAN_DEG:g}° (one grid in metres) between 84° S and "
            "84° N; map a smaller area"
        )
    crs = utm_crs((lon0 + lon1) / 2, (lat0 + lat1) / 2)
    to_proj = Transformer.from_crs(4326, crs, always_xy=True)
    to_wgs84 = Transformer.from_crs(crs, 4326, always_xy=True)
    x0, y0, x1, y1 = to_proj.transform_bounds(lon0, lat0, lon1, lat1, densify_pts=21)
    estimate = cell_count(kind, size_m, x1 - x0, y1 - y0)
    if estimate > max_cells:
        raise LimitExceeded(
            f"the area needs about {estimate:,} cells of {size_m:g} m; at most {max_cells:,}: "
            "use larger cells or a smaller area"
        )
    if kind == "square":
        cols = np.arange(math.floor(x0 / size_m), math.ceil(x1 / size_m))
        rows = np.arange(math.floor(y0 / size_m), math.ceil(y1 / size_m))
        ii, jj = (a.ravel() for a in np.meshgrid(cols, rows, indexing="ij"))
        xs, ys = ii * size_m, jj * size_m
        coords = np.stack(
            [np.column_stack([xs + dx, ys + dy]) for dx, dy in
             ((0, 0), (size_m, 0), (size_m, size_m), (0, size_m), (0, 0))], axis=1
        )  # fmt: skip
    else:
        cx, cy, ii, jj = hex_centres(size_m, x0, y0, x1, y1)
        angles = np.radians([0, 60, 120, 180, 240, 300, 0])
        coords = np.stack(
            [np.column_stack([cx + size_m * np.cos(a), cy + size_m * np.sin(a)]) for a in angles],
            axis=1,
        )
    cells = shapely.polygons(coords)
    clip = shapely.box(x0, y0, x1, y1)
    if area is not None:
        clip = shapely.transform(area, lambda xy: np.column_stack(
            to_proj.transform(xy[:, 0], xy[:, 1])
        ))  # fmt: skip
    shapely.prepare(clip)
    keep = shapely.intersects(clip, cells)
    if not keep.any():
        raise InvalidInput("the area is empty: no cell covers it")
    prefix = "h" if kind == "hex" else "s"
    ids = [f"{prefix}{int(size_m)}:{i}:{j}" for i, j in zip(ii[keep], jj[keep], strict=True)]
    return Grid(crs, cells[keep], ids, to_proj, to_wgs84)
