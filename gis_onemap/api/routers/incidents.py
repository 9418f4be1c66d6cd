"""``/incidents``: report an incident, list and read them, and their surroundings (JSON, map)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from gis_onemap.analysis.incidents import IncidentRepository
from gis_onemap.analysis.inputs import MAX_K, MAX_RADIUS_M, check_k, check_radius
from gis_onemap.analysis.schemas import EventCategory, IncidentCreate, parse_body
from gis_onemap.analysis.surroundings import DEFAULT_RADIUS_M, SurroundingsService
from gis_onemap.api.bodies import model_schema, request_body
from gis_onemap.api.deps import JsonBody, SessionDep, SettingsDep, ViewerDep, WriteSessionDep
from gis_onemap.api.links import base_url
from gis_onemap.api.responses import GEOJSON, FastJSONResponse, GeoJSONResponse
from gis_onemap.api.routers import roads as roads_api
from gis_onemap.api.security import html_product_response
from gis_onemap.auth.deps import EDITOR

router = APIRouter(prefix="/incidents", tags=["Incidents"])

IncidentId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Incident id")]
Radius = Annotated[float, Query(description=f"Search radius (m), up to {MAX_RADIUS_M:.0f}")]
K = Annotated[int | None, Query(description=f"Features per category (1–{MAX_K})")]


def _with_links(request: Request, feature: dict[str, Any]) -> dict[str, Any]:
    root = f"{base_url(request)}/incidents/{feature['id']}"
    feature["links"] = [
        {"href": root, "rel": "self", "type": GEOJSON},
        {"href": f"{root}/surroundings", "rel": "surroundings", "type": "application/json"},
        {"href": f"{root}/surroundings/map", "rel": "map", "type": "text/html"},
    ]
    return feature


@router.post(
    "",
    status_code=201,
    summary="Report an incident (stored with server time)",
    dependencies=[EDITOR],
    openapi_extra=request_body(
        model_schema(IncidentCreate),
        {
            "lon": 110.3649,
            "lat": 21.2681,
            "crs": "gcj02",
            "event_category": "accident",
            "event_type": "hazardous_chemicals",
            "severity": "III",
        },
    ),  # fmt: skip
)
def create_incident(request: Request, session: WriteSessionDep, body: JsonBody) -> GeoJSONResponse:
    repo = IncidentRepository(session)
    incident_id = repo.create(parse_body(IncidentCreate, body))
    feature = _with_links(request, repo.feature(incident_id))
    location = f"{base_url(request)}/incidents/{incident_id}"
    return GeoJSONResponse(feature, status_code=201, headers={"Location": location})


@router.get("", summary="Incidents, newest first")
def list_incidents(
    request: Request,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before_id: Annotated[int | None, Query(ge=1, description="Older than this id")] = None,
    event_category: Annotated[EventCategory | None, Query()] = None,
    event_type: Annotated[str | None, Query()] = None,
) -> GeoJSONResponse:
    features = IncidentRepository(session).list(limit, before_id, event_category, event_type)
    return GeoJSONResponse(
        {
            "type": "FeatureCollection",
            "features": [_with_links(request, f) for f in features],
            "numberReturned": len(features),
            "timeStamp": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    )


@router.get("/{incident_id}", summary="One incident")
def get_incident(request: Request, session: SessionDep, incident_id: IncidentId) -> GeoJSONResponse:
    return GeoJSONResponse(_with_links(request, IncidentRepository(session).feature(incident_id)))


#: Count expired stock and deployed teams too (issue 13: usable only by default).
IncludeUnusable = Annotated[bool, Query(description="Also count unusable supplies and teams")]


def _surroundings(
    session: Any,
    personal: bool,
    incident_id: int,
    radius_m: float,
    k: int | None,
    site_radius_m: float = 1000.0,
    include_unusable: bool = False,
) -> dict[str, Any]:
    radius_m, k = check_radius(radius_m), None if k is None else check_k(k)
    incident = IncidentRepository(session).get(incident_id)
    result = SurroundingsService(session, personal, site_radius_m).surroundings(
        incident.origin,
        radius_m,
        incident.event_category,
        incident.event_type,
        k,
        include_unusable,
    )
    result["incident_id"] = incident.id
    result["severity"] = incident.severity
    return result


@router.get("/{incident_id}/surroundings", summary="The 8 categories around the incident")
def incident_surroundings(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    incident_id: IncidentId,
    radius_m: Radius = DEFAULT_RADIUS_M,
    k: K = None,
    include_unusable: IncludeUnusable = False,
    by: roads_api.BY = "distance",
) -> FastJSONResponse:
    result = _surroundings(
        session,
        viewer.sees_personal_data,
        incident_id,
        radius_m,
        k,
        settings.plan_site_radius_m,
        include_unusable,
    )
    if by == "time":  # each listed feature ranked by ETA (gis_onemap.roads.ranking)
        origin = IncidentRepository(session).get(incident_id).origin
        query = request.query_params
        result = roads_api.surroundings_by_time(session, settings, result, query, origin)
    return FastJSONResponse(result)


@router.get(
    "/{incident_id}/surroundings/map",
    summary="The incident's surroundings as a standalone offline HTML map",
    response_class=HTMLResponse,
)
def incident_surroundings_map(
    session: SessionDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    incident_id: IncidentId,
    radius_m: Radius = DEFAULT_RADIUS_M,
    k: K = None,
    include_unusable: IncludeUnusable = False,
) -> HTMLResponse:
    from gis_onemap.maps.products import render_surroundings

    result = _surroundings(
        session,
        viewer.sees_personal_data,
        incident_id,
        radius_m,
        k,
        settings.plan_site_radius_m,
        include_unusable,
    )
    title = f"事件 Incident {incident_id}: {result['event_type']} · {result['radius_m']:.0f} m"
    return html_product_response(render_surroundings(result, title=title))
