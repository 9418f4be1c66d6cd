"""``/map/basemap/streets/{z}/{x}/{y}.mvt``.

The street layer of the base map (see :mod:`gis_onemap.web.streets`: the ``basemap_file`` archive,
else the loaded road network).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from gis_onemap.api.deps import SessionDep
from gis_onemap.errors import InvalidInput
from gis_onemap.settings import Settings
from gis_onemap.web import basemap, streets

router = APIRouter(tags=["Map page"])
MVT = "application/vnd.mapbox-vector-tile"
#: The network tiles change when a network is re-loaded: cache them briefly.
NETWORK_CACHE = "public, max-age=300"
ARCHIVE_CACHE = "public, max-age=86400"
TILES = "/map/basemap/streets/{z}/{x}/{y}.mvt"


def streets_config(settings: Settings) -> dict[str, Any]:
    """What the page needs for the street layer: tile URL, zooms and where the streets come from."""
    if settings.basemap_file is not None:
        try:
            archive = streets.open_archive(settings.basemap_file)
        except InvalidInput:
            return {"tiles": TILES, "source": "network", "minzoom": 0, "maxzoom": streets.MAX_ZOOM}
        return {"tiles": TILES, "source": "archive", "minzoom": archive.minzoom,
                "maxzoom": archive.maxzoom, "layers": archive.layers}  # fmt: skip
    return {"tiles": TILES, "source": "network", "minzoom": 0, "maxzoom": streets.MAX_ZOOM}


@router.get(TILES, summary="Street base-map vector tile (roads, and water/land use/places)")
async def streets_tile(
    request: Request,
    session: SessionDep,
    z: Annotated[int, PathParam(ge=0, le=24)],
    x: Annotated[int, PathParam(ge=0)],
    y: Annotated[int, PathParam(ge=0)],
) -> Response:
    if not basemap.valid_tile(z, x, y):
        raise InvalidInput(f"tile {z}/{x}/{y} is outside the WebMercatorQuad grid")
    settings: Settings = request.app.state.settings
    body: bytes | None
    if settings.basemap_file is not None and settings.basemap_file.is_file():
        archive = await run_in_threadpool(streets.open_archive, settings.basemap_file)
        body = await run_in_threadpool(archive.tile, z, x, y)
        cache = ARCHIVE_CACHE
    else:
        body = await run_in_threadpool(streets.network_tile, session, z, x, y)
        cache = NETWORK_CACHE
    if not body:
        return Response(status_code=204, headers={"Cache-Control": cache})
    return Response(body, media_type=MVT, headers={"Cache-Control": cache})
