"""``/analysis``: nearest, within, surroundings, buffer and hazard zones (JSON and folium maps)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from gis_onemap.analysis.inputs import origin_from, resolve_categories
from gis_onemap.analysis.schemas import BufferRequest, SurroundingsRequest, parse_body
from gis_onemap.analysis.surroundings import DEFAULT_RADIUS_M
from gis_onemap.api.bodies import model_schema, request_body
from gis_onemap.api.deps import CallerDep, JsonBody, SessionDep, SettingsDep, ViewerDep
from gis_onemap.api.responses import FastJSONResponse, GeoJSONResponse
from gis_onemap.api.routers import roads as roads_api
from gis_onemap.api.security import html_product_response
from gis_onemap.usecases import analysis

router = APIRouter(prefix="/analysis", tags=["Analysis"])


UNUSABLE_HELP = (
    "Also find and count unusable resources (expired/reserved/damaged stock, deployed or "
    "unavailable teams); by default only usable ones count"
)
IncludeUnusable = Annotated[bool, Query(description=UNUSABLE_HELP)]


@dataclass
class OriginParams:
    """The point to search around, in any CRS."""

    lon: Annotated[float, Query(description="Longitude (or easting in a projected crs)")]
    lat: Annotated[float, Query(description="Latitude (or northing in a projected crs)")]
    crs: Annotated[
        str | None, Query(description="CRS of lon/lat: EPSG code or URI, 'gcj02', 'bd09'")
    ] = None


@dataclass
class SurroundingsParams(OriginParams):
    """``GET`` form of the surroundings request (for the map link)."""

    radius_m: Annotated[float, Query(description="Search radius (m)")] = DEFAULT_RADIUS_M
    event_category: Annotated[str | None, Query()] = None
    event_type: Annotated[str | None, Query()] = None
    k: Annotated[int | None, Query(description="Features per category")] = None
    include_unusable: Annotated[bool, Query(description=UNUSABLE_HELP)] = False


Categories = Annotated[
    list[str] | None, Query(description="Category (collection id); repeat or comma-separate")
]


@router.get("/nearest", summary="The k nearest features (geodesic metres, WGS84)")
def nearest(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    at: Annotated[OriginParams, Depends()],
    category: Categories = None,
    k: Annotated[int, Query(description="How many (1–1000)")] = 10,
    max_distance_m: Annotated[float | None, Query(description="Search no farther (m)")] = None,
    include_unusable: IncludeUnusable = False,
    by: roads_api.BY = "distance",
) -> GeoJSONResponse:
    if by == "time":  # the same answer as /analysis/nearest-by-time
        origin = origin_from(at.lon, at.lat, at.crs)
        return roads_api.nearest_by_time_query(
            request, session, settings, viewer, origin, resolve_categories(category), k
        )
    return GeoJSONResponse(
        analysis.nearest(
            session,
            caller,
            lon=at.lon,
            lat=at.lat,
            crs=at.crs,
            categories=category,
            filters=request.query_params,
            k=k,
            max_distance_m=max_distance_m,
            include_unusable=include_unusable,
        )
    )


@router.get("/within", summary="Every feature within a radius, nearest first")
def within(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    at: Annotated[OriginParams, Depends()],
    radius_m: Annotated[float, Query(description="Radius (m), up to 500 km")],
    category: Categories = None,
    limit: Annotated[int | None, Query(description="At most this many features")] = None,
    include_unusable: IncludeUnusable = False,
) -> GeoJSONResponse:
    return GeoJSONResponse(
        analysis.within(
            session,
            caller,
            lon=at.lon,
            lat=at.lat,
            crs=at.crs,
            radius_m=radius_m,
            categories=category,
            filters=request.query_params,
            limit=limit,
            include_unusable=include_unusable,
        )
    )


@router.post(
    "/surroundings",
    summary="The 8 categories around a point, with totals",
    openapi_extra=request_body(
        model_schema(SurroundingsRequest),
        {"lon": 110.36, "lat": 21.27, "radius_m": 5000, "event_type": "hazardous_chemicals"},
    ),
)
def surroundings(
    session: SessionDep,
    caller: CallerDep,
    settings: SettingsDep,
    body: JsonBody,
    request: Request,
    by: roads_api.BY = "distance",
) -> FastJSONResponse:
    req = parse_body(SurroundingsRequest, body)
    result = analysis.surroundings_around_point(session, caller, req)
    if by == "time":  # each listed feature ranked by ETA (gis_onemap.roads.ranking)
        result = roads_api.surroundings_by_time(session, settings, result, request.query_params)
    return FastJSONResponse(result)


def _surroundings_request(p: SurroundingsParams) -> SurroundingsRequest:
    data = {k: v for k, v in vars(p).items() if v is not None}
    return parse_body(SurroundingsRequest, data)


@router.get(
    "/surroundings/map",
    summary="Surroundings as a standalone offline HTML map",
    response_class=HTMLResponse,
)
def surroundings_map(
    session: SessionDep, caller: CallerDep, p: Annotated[SurroundingsParams, Depends()]
) -> HTMLResponse:
    from gis_onemap.maps.products import render_surroundings

    result = analysis.surroundings_around_point(session, caller, _surroundings_request(p))
    return html_product_response(render_surroundings(result))


_BUFFER_BODY = request_body(
    model_schema(BufferRequest),
    {"source": {"collection": "hazard_sources", "filter": "level = 1"},
     "distances_m": [1000, 3000], "intersect": ["protected_targets"]},
)  # fmt: skip


@router.post(
    "/buffer",
    summary="Geodesic buffer rings, optionally with the features inside",
    openapi_extra=_BUFFER_BODY,
)
def buffer(session: SessionDep, caller: CallerDep, body: JsonBody) -> GeoJSONResponse:
    req = parse_body(BufferRequest, body)
    return GeoJSONResponse(analysis.buffer(session, caller, req))


@router.post(
    "/buffer/map",
    summary="Buffer rings as a standalone offline HTML map",
    openapi_extra=_BUFFER_BODY,
)
def buffer_map(session: SessionDep, caller: CallerDep, body: JsonBody) -> HTMLResponse:
    from gis_onemap.maps.products import render_buffers

    fc = analysis.buffer(session, caller, parse_body(BufferRequest, body))
    return html_product_response(render_buffers(fc))


@dataclass
class HazardZoneParams:
    """Which hazard sources to draw zones around."""

    level: Annotated[list[str] | None, Query(description="Levels 1–4 (repeat or a,b)")] = None
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None
    region_code: Annotated[
        str | None, Query(pattern=r"^[1-9][0-9]{5}$", description="6-digit division code")
    ] = None


def _hazard_zones(session: Any, caller: Any, p: HazardZoneParams) -> dict[str, Any]:
    return analysis.hazard_zones(
        session, caller, levels=p.level, bbox=p.bbox, region_code=p.region_code
    )


@router.get("/hazard-zones", summary="Zones around hazard sources by level, with targets inside")
def hazard_zones(
    session: SessionDep, caller: CallerDep, p: Annotated[HazardZoneParams, Depends()]
) -> GeoJSONResponse:
    return GeoJSONResponse(_hazard_zones(session, caller, p))


@router.get(
    "/hazard-zones/map",
    summary="Hazard zones as a standalone offline HTML map",
    response_class=HTMLResponse,
)
def hazard_zones_map(
    session: SessionDep, caller: CallerDep, p: Annotated[HazardZoneParams, Depends()]
) -> HTMLResponse:
    from gis_onemap.maps.products import render_hazard_zones

    return html_product_response(render_hazard_zones(_hazard_zones(session, caller, p)))
