"""``/roads`` and the travel-time analyses.

Routes, service areas, nearest by time, closures, evacuation routes. Parsing only: the work is in
:class:`gis_onemap.roads.service.RoadService` and
:class:`gis_onemap.roads.closures.ClosureRepository`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from gis_onemap.analysis.incidents import IncidentRepository
from gis_onemap.analysis.inputs import (
    ANALYSIS_PARAMS,
    Origin,
    category_filters,
    origin_from,
    resolve_categories,
)
from gis_onemap.api.deps import SessionDep, SettingsDep, ViewerDep, WriteSessionDep
from gis_onemap.api.links import base_url
from gis_onemap.api.responses import FastJSONResponse, GeoJSONResponse
from gis_onemap.auth.deps import EDITOR
from gis_onemap.categories import Category
from gis_onemap.errors import InvalidInput
from gis_onemap.roads import ranking
from gis_onemap.roads.closures import MAX_EDGE_IDS, ClosureInput, ClosureRepository
from gis_onemap.roads.hazards import HazardAvoidance
from gis_onemap.roads.service import DEFAULT_AVOID, RoadService, parse_avoid, require_network

router = APIRouter(tags=["Roads"])

#: Query parameters of these endpoints that are not property filters.
_OWN_PARAMS = frozenset({"direction", "avoid", "incident"}) | ANALYSIS_PARAMS

CRS = Annotated[str | None, Query(description="CRS of the points: EPSG code or URI, 'gcj02'...")]
AVOID = Annotated[
    str | None,
    Query(
        description="What routes avoid, comma-separated: closures, hazard_zones. "
        "Absent = closures; empty = nothing."
    ),
]
INCIDENT = Annotated[
    int | None, Query(description="Incident id: avoid=hazard_zones closes the zones near it")
]

#: ``by=time`` on /analysis/nearest and the surroundings (gis_onemap.roads.ranking).
BY = Annotated[
    Literal["distance", "time"],
    Query(
        description="Rank by straight-line distance, or by travel time over the road network "
        "(direction=to|from, avoid=closures,hazard_zones as on /analysis/nearest-by-time)"
    ),
]


def _avoid_names(value: str | None) -> set[str]:
    return set(DEFAULT_AVOID) if value is None else parse_avoid(value)


def _incident(session: Any, incident_id: int | None) -> Origin | None:
    return None if incident_id is None else IncidentRepository(session).get(incident_id).origin


def _lonlat(value: str, name: str, crs: str | None) -> Origin:
    parts = value.split(",")
    if len(parts) != 2:
        raise InvalidInput(f"{name} must be lon,lat (or collection/id for 'to')")
    return origin_from(parts[0].strip(), parts[1].strip(), crs)


def _with_hazards(result: dict[str, Any], hazards: HazardAvoidance | None) -> dict[str, Any]:
    if hazards is not None:
        target = result.get("properties", result)
        target.update(hazards.summary())
    return result


@router.get("/roads", summary="The loaded road network (the last load's report)")
def roads_info(session: SessionDep) -> FastJSONResponse:
    return FastJSONResponse({"loaded": True, "report": require_network(session)})


@router.get("/analysis/route", summary="The fastest route between two points (GeoJSON Feature)")
def route(
    session: SessionDep,
    settings: SettingsDep,
    from_: Annotated[str, Query(alias="from", description="Start: lon,lat")],
    to: Annotated[str, Query(description="End: lon,lat, or a feature as collection/id")],
    crs: CRS = None,
    avoid: AVOID = None,
    incident: INCIDENT = None,
) -> GeoJSONResponse:
    service = RoadService.from_settings(session, settings)
    names = _avoid_names(avoid)
    a = _lonlat(from_, "from", crs)
    if "/" in to:
        collection, _, fid = to.partition("/")
        b = service.feature_point(collection.strip(), fid.strip())
    else:
        b = _lonlat(to, "to", crs)
    require_network(session)
    chosen, hazards = service.prepare_avoid(names, _incident(session, incident), [a, b])
    return GeoJSONResponse(_with_hazards(service.route(a, b, chosen), hazards))


@router.get(
    "/analysis/service-area",
    summary="Where one can get to (direction=from) or come from (to) within each time",
)
def service_area(
    session: SessionDep,
    settings: SettingsDep,
    lon: Annotated[float, Query(description="Longitude (or easting in a projected crs)")],
    lat: Annotated[float, Query(description="Latitude (or northing in a projected crs)")],
    minutes: Annotated[str, Query(description="Bands in minutes, e.g. 10,20,30 (≤ 12, ≤ 240)")],
    direction: Annotated[Literal["from", "to"], Query()] = "from",
    crs: CRS = None,
    avoid: AVOID = None,
    incident: INCIDENT = None,
) -> GeoJSONResponse:
    try:
        bands = [float(m) for m in minutes.split(",") if m.strip()]
    except ValueError:
        raise InvalidInput("minutes must be numbers, e.g. minutes=10,20,30") from None
    origin = origin_from(lon, lat, crs)
    service = RoadService.from_settings(session, settings)
    require_network(session)
    chosen, hazards = service.prepare_avoid(
        _avoid_names(avoid), _incident(session, incident), [origin]
    )
    result = service.service_area(origin, bands, towards=direction == "to", avoid=chosen)
    return GeoJSONResponse(_with_hazards(result, hazards))


@router.get(
    "/analysis/nearest-by-time",
    summary="The k features that arrive first (direction=to) or are reached first (from)",
)
def nearest_by_time(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    lon: Annotated[float, Query(description="Longitude (or easting in a projected crs)")],
    lat: Annotated[float, Query(description="Latitude (or northing in a projected crs)")],
    category: Annotated[
        list[str] | None, Query(description="Category (collection id); repeat or comma-separate")
    ] = None,
    k: Annotated[int, Query(description="How many (1 to ONEMAP_ROAD_MAX_K, default 100)")] = 10,
    direction: Annotated[Literal["to", "from"], Query()] = "to",
    crs: CRS = None,
    avoid: AVOID = None,
    incident: INCIDENT = None,
) -> GeoJSONResponse:
    origin = origin_from(lon, lat, crs)
    categories = resolve_categories(category)
    return nearest_by_time_response(
        request, session, settings, viewer, origin, categories, k, direction, avoid, incident
    )


def nearest_by_time_response(
    request: Request,
    session: Any,
    settings: Any,
    viewer: Any,
    origin: Origin,
    categories: Sequence[Category],
    k: int,
    direction: str = "to",
    avoid: str | None = None,
    incident: int | None = None,
) -> GeoJSONResponse:
    """``/analysis/nearest-by-time``, also ``/analysis/nearest?by=time`` (same answer)."""
    if not 1 <= k <= settings.road_max_k:
        raise InvalidInput(f"k must be an integer from 1 to {settings.road_max_k}")
    if direction not in ("to", "from"):
        raise InvalidInput("direction must be 'to' (towards the point) or 'from'")
    params = {key: v for key, v in request.query_params.items() if key not in _OWN_PARAMS}
    filters = category_filters(params, categories)
    service = RoadService.from_settings(session, settings)
    require_network(session)
    chosen, hazards = service.prepare_avoid(
        _avoid_names(avoid), _incident(session, incident), [origin]
    )
    result = service.nearest_by_time(
        origin,
        categories,
        filters,
        k,
        to_origin=direction == "to",
        include_personal=viewer.sees_personal_data,
        avoid=chosen,
    )
    return GeoJSONResponse(_with_hazards(result, hazards))


def nearest_by_time_query(
    request: Request,
    session: Any,
    settings: Any,
    viewer: Any,
    origin: Origin,
    categories: Sequence[Category],
    k: int,
) -> GeoJSONResponse:
    """``/analysis/nearest?by=time``.

    ``direction``, ``avoid`` and ``incident`` read from the query as on
    ``/analysis/nearest-by-time``.
    """
    q = request.query_params
    if q.get("max_distance_m") is not None:
        raise InvalidInput("max_distance_m does not apply with by=time (travel time ranks)")
    return nearest_by_time_response(
        request, session, settings, viewer, origin, categories, k,
        q.get("direction", "to"), q.get("avoid"), _int_param(q.get("incident"), "incident"),
    )  # fmt: skip


def _int_param(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f"{name} must be an integer") from None


def surroundings_by_time(
    session: Any,
    settings: Any,
    result: dict[str, Any],
    query: Mapping[str, str],
    incident: Origin | None = None,
) -> dict[str, Any]:
    """A surroundings result ranked by ETA (``by=time``).

    ``direction`` (default ``to``: from each resource to the point) and ``avoid`` read from the
    query; ``incident`` is where ``avoid=hazard_zones`` looks for zones (default: the point itself).
    """
    direction = query.get("direction", "to")
    if direction not in ("to", "from"):
        raise InvalidInput("direction must be 'to' (towards the point) or 'from'")
    origin = Origin(float(result["origin"]["lon"]), float(result["origin"]["lat"]))
    service = RoadService.from_settings(session, settings)
    require_network(session)
    chosen, hazards = service.prepare_avoid(
        _avoid_names(query.get("avoid")), incident or origin, [origin]
    )
    ranked = ranking.surroundings_by_time(
        service, origin, result, to_origin=direction == "to", avoid=chosen
    )
    return _with_hazards(ranked, hazards)


class EvacuationRequest(BaseModel):
    """Where people are, how many, and what the route must avoid."""

    model_config = ConfigDict(extra="forbid")

    lon: float = Field(description="Longitude (or easting in a projected crs)")
    lat: float = Field(description="Latitude (or northing in a projected crs)")
    crs: str | None = Field(default=None, description="CRS of lon/lat")
    incident_id: int | None = Field(
        default=None, description="Incident whose nearby hazard zones are avoided"
    )
    avoid: list[Literal["closures", "hazard_zones"]] = Field(
        default=["closures", "hazard_zones"], max_length=2
    )
    people: int | None = Field(
        default=None, ge=1, le=10_000_000, description="People to shelter (room needed)"
    )


@router.post(
    "/analysis/evacuation-route",
    summary="The route to the shelter with room that is reached first, avoiding hazard zones",
)
def evacuation_route(
    session: SessionDep, settings: SettingsDep, body: EvacuationRequest
) -> GeoJSONResponse:
    origin = origin_from(body.lon, body.lat, body.crs)
    service = RoadService.from_settings(session, settings)
    require_network(session)
    chosen, hazards = service.prepare_avoid(
        set(body.avoid), _incident(session, body.incident_id), [origin]
    )
    return GeoJSONResponse(
        _with_hazards(service.evacuation_route(origin, body.people, chosen), hazards)
    )


class ClosureCreate(BaseModel):
    """A road closure: an area and/or edge ids, a reason, an optional validity window."""

    model_config = ConfigDict(extra="forbid")

    geometry: dict[str, Any] | None = Field(
        default=None, description="Polygon or MultiPolygon (GeoJSON, WGS84) whose roads close"
    )
    edge_ids: list[int] = Field(default_factory=list, max_length=MAX_EDGE_IDS)
    reason: str | None = Field(default=None, description="Why (required)")
    valid_from: datetime | None = Field(default=None, description="RFC 3339; null = now")
    valid_to: datetime | None = Field(default=None, description="RFC 3339; null = until removed")


@router.get("/roads/closures", summary="Road closures: active and future (all=true: also expired)")
def list_closures(
    session: SessionDep,
    all_: Annotated[bool, Query(alias="all", description="Include expired closures")] = False,
) -> GeoJSONResponse:
    return GeoJSONResponse(ClosureRepository(session).list(include_expired=all_))


@router.get("/roads/closures/{closure_id}", summary="One road closure")
def get_closure(session: SessionDep, closure_id: int) -> GeoJSONResponse:
    return GeoJSONResponse(ClosureRepository(session).get(closure_id))


@router.post(
    "/roads/closures",
    status_code=201,
    summary="Close roads (an area and/or edges; editor)",
    dependencies=[EDITOR],
)
def add_closure(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    body: ClosureCreate,
) -> GeoJSONResponse:
    closure = ClosureInput(
        reason=body.reason,
        geometry=body.geometry,
        edge_ids=body.edge_ids,
        valid_from=body.valid_from,
        valid_to=body.valid_to,
    )
    repo = ClosureRepository(session, max_vertices=settings.road_closure_max_vertices)
    feature = repo.add(closure)  # committed by WriteSessionDep before the 201 is sent
    location = f"{base_url(request)}/roads/closures/{feature['id']}"
    return GeoJSONResponse(feature, status_code=201, headers={"Location": location})


@router.delete(
    "/roads/closures/{closure_id}",
    status_code=204,
    summary="Reopen the roads (editor)",
    dependencies=[EDITOR],
)
def remove_closure(session: WriteSessionDep, viewer: ViewerDep, closure_id: int) -> Response:
    ClosureRepository(session).remove(closure_id)  # committed before the 204 is sent
    return Response(status_code=204)
