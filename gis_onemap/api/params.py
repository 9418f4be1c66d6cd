"""Small parameter-group dependencies (titiler style) that keep the handlers thin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Query

from gis_onemap.tiles.grid import MAX_ZOOM, TileIndex, check_tile

Zoom = Annotated[int, Path(ge=0, le=MAX_ZOOM, description=f"Zoom (tileMatrix), 0–{MAX_ZOOM}")]
Col = Annotated[int, Path(ge=0, description="Column (tileCol), 0 … 2^z − 1")]
Row = Annotated[int, Path(ge=0, description="Row from the top (tileRow), 0 … 2^z − 1")]


def tile_param(z: Zoom, x: Col, y: Row) -> TileIndex:
    """The ``{z}/{x}/{y}`` of a tile path, checked against the grid (404 off it)."""
    return check_tile(z, x, y)


#: A checked WebMercatorQuad tile from the path, for every tile route.
TileDep = Annotated[TileIndex, Depends(tile_param)]


@dataclass
class ItemsParams:
    """The standard ``/items`` query parameters (property filters come as extra parameters)."""

    limit: Annotated[
        int,
        Query(ge=1, description="Features per page (1–10,000; larger values are capped)."),
    ] = 100
    bbox: Annotated[
        str | None, Query(description="minx,miny,maxx,maxy (CRS84 unless bbox-crs is given)")
    ] = None
    datetime: Annotated[
        str | None, Query(description="Instant or interval on updated_at, RFC 3339")
    ] = None
    filter: Annotated[str | None, Query(description="CQL2 filter (text or JSON)")] = None
    filter_lang: Annotated[
        str | None, Query(alias="filter-lang", description="cql2-text | cql2-json")
    ] = None
    sortby: Annotated[
        str | None, Query(description="Comma-separated properties, '-' for descending")
    ] = None
    cursor: Annotated[str | None, Query(description="Opaque paging cursor from 'next'")] = None
    f: Annotated[
        str | None,
        Query(description="json/geojson (default), or a download: csv, gpkg, shp, kml, fgb"),
    ] = None
    crs: Annotated[
        str | None, Query(description="Output CRS (EPSG URI/code, gcj02, bd09); default CRS84")
    ] = None
    bbox_crs: Annotated[
        str | None, Query(alias="bbox-crs", description="CRS of bbox (default CRS84)")
    ] = None
