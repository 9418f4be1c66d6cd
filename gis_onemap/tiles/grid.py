"""The WebMercatorQuad tile grid (morecantile): tile checks, zoom ranges, tiles covering a bbox."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import morecantile

from gis_onemap.errors import InvalidInput, NotFound

TMS_ID = "WebMercatorQuad"
#: The one tile matrix set served (the grid PostGIS's ST_TileEnvelope uses).
TMS = morecantile.tms.get(TMS_ID)
MIN_ZOOM = 0
#: Highest zoom served (issue 6: z > 22 is bad input).
MAX_ZOOM = 22
#: Web Mercator's latitude limit (degrees).
MAX_LATITUDE = 85.0511287798066


class TileIndex(NamedTuple):
    """A tile address in the XYZ scheme (y = row from the top, as in OGC's tileRow)."""

    z: int
    x: int
    y: int


def check_tms(tms_id: str) -> None:
    """Raise :class:`NotFound` unless ``tms_id`` is the served tile matrix set.

    >>> check_tms("WebMercatorQuad")
    >>> check_tms("WorldCRS84Quad")
    Traceback (most recent call last):
    ...
    gis_onemap.errors.NotFound: unknown tile matrix set 'WorldCRS84Quad'; only WebMercatorQuad
    """
    if tms_id != TMS_ID:
        raise NotFound(f"unknown tile matrix set '{tms_id}'; only {TMS_ID}")


def check_tile(z: int, x: int, y: int) -> TileIndex:
    """The tile ``z/x/y`` after checking it lies on the grid.

    Raises :class:`InvalidInput` for a zoom outside 0–22 and :class:`NotFound` for a column or
    row outside ``0 … 2**z - 1``.

    >>> check_tile(2, 3, 1)
    TileIndex(z=2, x=3, y=1)
    >>> check_tile(2, 4, 0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gis_onemap.errors.NotFound: tile 2/4/0 is outside the grid: ...
    """
    if not MIN_ZOOM <= z <= MAX_ZOOM:
        raise InvalidInput(f"zoom {z} is outside {MIN_ZOOM}..{MAX_ZOOM}")
    n = 1 << z
    if not (0 <= x < n and 0 <= y < n):
        raise NotFound(
            f"tile {z}/{x}/{y} is outside the grid: x and y must be within 0..{n - 1} at zoom {z}"
        )
    return TileIndex(z, x, y)


def parse_zoom_range(text: str) -> tuple[int, int]:
    """``"0-14"`` → ``(0, 14)``; ``"12"`` → ``(12, 12)``; checked against 0–22.

    >>> parse_zoom_range("0-14")
    (0, 14)
    >>> parse_zoom_range("12")
    (12, 12)
    """
    parts = text.split("-")
    try:
        lo, hi = (int(parts[0]), int(parts[-1])) if len(parts) <= 2 else (-1, -1)
    except ValueError:
        raise InvalidInput(f"zoom range '{text}' must look like 0-14 or 12") from None
    if not (MIN_ZOOM <= lo <= hi <= MAX_ZOOM):
        raise InvalidInput(f"zoom range '{text}' must be within {MIN_ZOOM}-{MAX_ZOOM}, low ≤ high")
    return lo, hi


def clamp_bbox(bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """A lon/lat bbox limited to the area Web Mercator covers.

    >>> clamp_bbox((-200.0, -90.0, 10.0, 20.0))
    (-180.0, -85.0511287798066, 10.0, 20.0)
    """
    w, s, e, n = bbox
    return (
        max(w, -180.0),
        max(s, -MAX_LATITUDE),
        min(e, 180.0),
        min(n, MAX_LATITUDE),
    )


def tiles_covering(
    bbox: tuple[float, float, float, float], zooms: tuple[int, int]
) -> Iterator[TileIndex]:
    """Every tile from ``zooms[0]`` to ``zooms[1]`` that touches the lon/lat ``bbox``.

    >>> list(tiles_covering((110.0, 21.0, 110.01, 21.01), (0, 1)))
    [TileIndex(z=0, x=0, y=0), TileIndex(z=1, x=1, y=0)]
    """
    w, s, e, n = clamp_bbox(bbox)
    for tile in TMS.tiles(w, s, e, n, list(range(zooms[0], zooms[1] + 1))):
        yield TileIndex(tile.z, tile.x, tile.y)


def tile_bounds(tile: TileIndex) -> tuple[float, float, float, float]:
    """The lon/lat bounds (west, south, east, north) of a tile.

    >>> [round(v, 6) for v in tile_bounds(TileIndex(1, 1, 0))]
    [0.0, 0.0, 180.0, 85.051129]
    """
    b = TMS.bounds(morecantile.Tile(tile.x, tile.y, tile.z))
    return (b.left, b.bottom, b.right, b.top)
