"""``/analysis/shelters``.

Coverage with capacity, siting new shelters, evacuation assignment (issue 15; the work is in
:mod:`gis_onemap.planning`).
"""

from __future__ import annotations

from fastapi import APIRouter

from gis_onemap.analysis.schemas import parse_body
from gis_onemap.api.bodies import model_schema, request_body
from gis_onemap.api.deps import JsonBody, SessionDep, SettingsDep
from gis_onemap.api.responses import FastJSONResponse
from gis_onemap.planning.schemas import CoverageRequest, EvacuateRequest, SitingRequest

router = APIRouter(prefix="/analysis/shelters", tags=["Shelter planning"])


@router.post(
    "/coverage",
    summary="Who has a shelter with room within walking reach (capacitated LP)",
    openapi_extra=request_body(
        model_schema(CoverageRequest), {"region_code": "440802", "hazard": "typhoon", "reach": 30}
    ),
)
def coverage(session: SessionDep, settings: SettingsDep, body: JsonBody) -> FastJSONResponse:
    from gis_onemap.planning.service import coverage as run

    return FastJSONResponse(run(session, settings, parse_body(CoverageRequest, body)))


@router.post(
    "/siting",
    summary="Where new shelters should go (MCLP, p-median, LSCP on spopt + CBC)",
    openapi_extra=request_body(
        model_schema(SitingRequest),
        {
            "region_code": "440802",
            "reach": 30,
            "p": 3,
            "model": "mclp",
            "candidates": {"collection": "protected_targets", "filter": "target_type = 'school'"},
        },
    ),
)
def siting(session: SessionDep, settings: SettingsDep, body: JsonBody) -> FastJSONResponse:
    from gis_onemap.planning.siting import siting as run

    return FastJSONResponse(run(session, settings, parse_body(SitingRequest, body)))


@router.post(
    "/evacuate",
    summary="People inside a hazard zone assigned to shelters outside it with room",
    openapi_extra=request_body(
        model_schema(EvacuateRequest), {"incident_id": 1, "radius_m": 3000, "reach": 60}
    ),
)
def evacuate(session: SessionDep, settings: SettingsDep, body: JsonBody) -> FastJSONResponse:
    from gis_onemap.planning.service import evacuate as run

    return FastJSONResponse(run(session, settings, parse_body(EvacuateRequest, body)))
