"""``/analysis/release-zones`` and ``/analysis/risk-map``.

Chemical release zones, optionally closing roads, and the four-colour risk map as GeoJSON and as MVT
tiles.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import text

from gis_onemap.api.bodies import model_schema, request_body
from gis_onemap.api.deps import JsonBody, SessionDep, SettingsDep, ViewerDep, WriteSessionDep
from gis_onemap.api.params import TileDep
from gis_onemap.api.responses import GeoJSONResponse
from gis_onemap.auth.deps import EDITOR
from gis_onemap.hazards.release import ReleaseRequest, close_roads
from gis_onemap.hazards.risk import RiskMethod
from gis_onemap.hazards.risk_tiles import risk_tile
from gis_onemap.hazards.usecases import (
    RiskRequest,
    check_size,
    release_zones_of,
    risk_map_of,
    risk_service,
)
from gis_onemap.tiles.cache import TileCache, TileKey

router = APIRouter(prefix="/analysis", tags=["Hazard analysis"])

_RELEASE_BODY = request_body(
    model_schema(ReleaseRequest),
    {"lon": 110.36, "lat": 21.27, "substance": "液氯", "amount": "large", "time": "night",
     "wind_from_deg": 45, "wind_speed_ms": 3},
)  # fmt: skip


@router.post(
    "/release-zones",
    summary="Initial isolation and downwind protective-action zones of a chemical release",
    openapi_extra=_RELEASE_BODY,
)
def release_zones(session: SessionDep, settings: SettingsDep, body: JsonBody) -> GeoJSONResponse:
    return GeoJSONResponse(release_zones_of(session, settings, body))


@router.post(
    "/release-zones/closures",
    status_code=201,
    summary="Release zones, stored as road closures (editor)",
    dependencies=[EDITOR],
    openapi_extra=_RELEASE_BODY,
)
def release_zones_closures(
    session: WriteSessionDep, settings: SettingsDep, viewer: ViewerDep, body: JsonBody
) -> GeoJSONResponse:
    fc = release_zones_of(session, settings, body)
    fc["road_closure_ids"] = close_roads(session, fc, viewer.name)  # committed before the 201
    return GeoJSONResponse(fc, status_code=201)


@dataclass
class RiskParams:
    """Which units, how big, where."""

    cell: Annotated[Literal["hex", "square"], Query(description="Cell shape")] = "hex"
    size_m: Annotated[float, Query(description="Square side / hexagon edge (m), 100 m – 50 km")] = (
        500.0
    )
    unit: Annotated[
        Literal["cell", "district"] | None,
        Query(description="'district': administrative units instead of cells"),
    ] = None
    bbox: Annotated[
        str | None, Query(description="minlon,minlat,maxlon,maxlat (default: the data's extent)")
    ] = None


@router.get("/risk-map", summary="The four-colour risk map (红橙黄蓝) per cell or district")
def risk_map(
    session: SessionDep, settings: SettingsDep, p: Annotated[RiskParams, Depends()]
) -> GeoJSONResponse:
    return GeoJSONResponse(risk_map_of(session, settings, RiskRequest(**vars(p))))


#: The layers a risk tile is drawn from: a write to any of them gives its tiles new keys.
_INPUT_VERSIONS = text(
    "SELECT collection, version FROM tile_versions WHERE collection IN"
    " ('hazard_sources', 'protected_targets', 'shelters', 'population') ORDER BY collection"
)


@router.get(
    "/risk-map/tiles/{z}/{x}/{y}.mvt",
    summary="The risk map as Mapbox vector tiles (layer 'risk'), cached by data version",
    response_class=Response,
    responses={304: {}},
)
def risk_map_tile(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    tile: TileDep,
    cell: Annotated[Literal["hex", "square"], Query()] = "hex",
    size_m: Annotated[float, Query()] = 500.0,
) -> Response:
    size = check_size(settings, size_m)
    versions = "|".join(f"{c}:{v}" for c, v in session.execute(_INPUT_VERSIONS).all())
    # a region-limited reader sees only its regions' rows (row-level security): its tiles differ
    scope = ",".join(viewer.region_codes) if settings.region_read_scope else ""
    method = repr(RiskMethod.from_settings(settings).as_dict())  # the colours depend on it
    variant = hashlib.blake2b(f"{cell}|{size!r}|{method}|{scope}".encode(), digest_size=12)
    key = TileKey("risk", versions, tile.z, tile.x, tile.y, variant.hexdigest(), "mvt")
    etag = key.etag()
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    cache: TileCache = request.app.state.risk_tiles
    data = cache.get(key) if settings.risk_tile_cache_size else None
    hit = data is not None
    if data is None:
        data = risk_tile(risk_service(session, settings), tile.z, tile.x, tile.y, cell, size)
        if settings.risk_tile_cache_size:
            cache.put(key, data)
    return Response(
        data,
        media_type="application/vnd.mapbox-vector-tile",
        headers={"ETag": etag, "X-Cache": "hit" if hit else "miss"},
    )
