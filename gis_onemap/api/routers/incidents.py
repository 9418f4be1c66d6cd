"""``/incidents``: report an incident, list and read them, and their surroundings (JSON, map)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from gis_onemap.analysis.incident_rules import IncidentRules
from gis_onemap.analysis.incidents import IncidentRepository
from gis_onemap.analysis.inputs import MAX_K, MAX_RADIUS_M
from gis_onemap.analysis.schemas import EventCategory, IncidentCreate, IncidentPatch, parse_body
from gis_onemap.analysis.surroundings import DEFAULT_RADIUS_M
from gis_onemap.api.bodies import model_schema, request_body
from gis_onemap.api.deps import (
    CallerDep,
    IfMatchDep,
    JsonBody,
    SessionDep,
    SettingsDep,
    WriteSessionDep,
)
from gis_onemap.api.links import base_url
from gis_onemap.api.responses import GEOJSON, FastJSONResponse, GeoJSONResponse
from gis_onemap.api.routers import roads as roads_api
from gis_onemap.api.security import html_product_response
from gis_onemap.auth.deps import EDITOR
from gis_onemap.db.etags import IfMatch
from gis_onemap.reports.service import ReportService
from gis_onemap.usecases.analysis import surroundings_around_incident

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


#: What a write may answer besides success (documented in the OpenAPI document).
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    409: {"description": "Not stored: it lost a race with a concurrent change (send it again)"},
    412: {"description": "If-Match names a version other than the stored one; nothing changed"},
    422: {"description": "Invalid facts (every problem listed); nothing changed"},
}


def _answer(
    request: Request, repo: IncidentRepository, incident_id: int, status_code: int = 200
) -> GeoJSONResponse:
    feature, etag = repo.versioned(incident_id)
    headers = {"ETag": etag}
    if status_code == 201:
        headers["Location"] = f"{base_url(request)}/incidents/{incident_id}"
    return GeoJSONResponse(_with_links(request, feature), status_code=status_code, headers=headers)


@router.post(
    "",
    status_code=201,
    summary="Report an incident (stored with server time; severity derived from casualties/loss)",
    dependencies=[EDITOR],
    responses=WRITE_RESPONSES,
    openapi_extra=request_body(
        model_schema(IncidentCreate),
        {
            "lon": 110.3649,
            "lat": 21.2681,
            "crs": "gcj02",
            "event_category": "accident",
            "event_type": "hazardous_chemicals",
            "occurred_at": "2026-07-01T08:10:00+08:00",
            "dead": 1,
            "injured": 6,
            "seriously_injured": 2,
        },
    ),
)
def create_incident(
    request: Request, session: WriteSessionDep, settings: SettingsDep, body: JsonBody
) -> GeoJSONResponse:
    repo = IncidentRepository(session)
    rules = IncidentRules.from_settings(settings)
    incident_id = repo.create(parse_body(IncidentCreate, body), rules)
    ReportService(session).refresh(incident_id)  # the reporting clocks start now
    return _answer(request, repo, incident_id, status_code=201)


@router.patch(
    "/{incident_id}",
    summary="Update an incident as it evolves (JSON merge: null clears; If-Match: its ETag)",
    dependencies=[EDITOR],
    responses=WRITE_RESPONSES,
    openapi_extra=request_body(
        model_schema(IncidentPatch),
        {"dead": 3, "missing": 1, "direct_loss_yuan": 12500000},
        ("application/merge-patch+json", "application/json"),
    ),
)
def patch_incident(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    incident_id: IncidentId,
    body: JsonBody,
    if_match: IfMatchDep = None,
) -> GeoJSONResponse:
    repo = IncidentRepository(session)
    rules = IncidentRules.from_settings(settings)
    patch = parse_body(IncidentPatch, body)
    repo.patch(incident_id, patch, rules, IfMatch.parse(if_match))
    # new times, event or severity move the deadlines of the reports still owed
    ReportService(session).refresh(incident_id)
    return _answer(request, repo, incident_id)


@router.get("", summary="Incidents, newest first")
def list_incidents(
    request: Request,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before_id: Annotated[int | None, Query(ge=1, description="Older than this id")] = None,
    event_category: Annotated[EventCategory | None, Query()] = None,
    event_type: Annotated[str | None, Query()] = None,
    overdue: Annotated[
        bool | None, Query(description="true: only incidents with a report past its deadline")
    ] = None,
) -> GeoJSONResponse:
    features = IncidentRepository(session).list(
        limit, before_id, event_category, event_type, overdue
    )
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
    return _answer(request, IncidentRepository(session), incident_id)


#: Count expired stock and deployed teams too (issue 13: usable only by default).
IncludeUnusable = Annotated[bool, Query(description="Also count unusable supplies and teams")]


@router.get("/{incident_id}/surroundings", summary="The 8 categories around the incident")
def incident_surroundings(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    settings: SettingsDep,
    incident_id: IncidentId,
    radius_m: Radius = DEFAULT_RADIUS_M,
    k: K = None,
    include_unusable: IncludeUnusable = False,
    by: roads_api.BY = "distance",
) -> FastJSONResponse:
    result = surroundings_around_incident(
        session, caller, incident_id, radius_m=radius_m, k=k, include_unusable=include_unusable
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
    caller: CallerDep,
    incident_id: IncidentId,
    radius_m: Radius = DEFAULT_RADIUS_M,
    k: K = None,
    include_unusable: IncludeUnusable = False,
) -> HTMLResponse:
    from gis_onemap.maps.products import render_surroundings

    result = surroundings_around_incident(
        session, caller, incident_id, radius_m=radius_m, k=k, include_unusable=include_unusable
    )
    title = f"事件 Incident {incident_id}: {result['event_type']} · {result['radius_m']:.0f} m"
    return html_product_response(render_surroundings(result, title=title))
