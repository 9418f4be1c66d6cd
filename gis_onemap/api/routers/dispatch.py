"""``/incidents/{id}/dispatches``: teams and supplies sent to an incident (issue 17).

Parsing only: the work is in :class:`gis_onemap.dispatch.service.DispatchService`. Writes are
the editor's and are committed (stock taken, team deployed, audit rows) before the answer.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis_onemap.analysis.inputs import Origin
from gis_onemap.api.deps import SessionDep, SettingsDep, WriteSessionDep
from gis_onemap.api.responses import FastJSONResponse
from gis_onemap.auth.deps import EDITOR, PrincipalDep
from gis_onemap.dispatch.service import DispatchInput, DispatchService, EtaFn
from gis_onemap.errors import NotFound
from gis_onemap.roads.service import RoadService, require_network
from gis_onemap.settings import Settings

router = APIRouter(tags=["Dispatch"])

IncidentId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Incident id")]
DispatchId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Dispatch id")]


class DispatchIn(BaseModel):
    """A resource to send: a team (whole, with people/vehicles) or a quantity of a supply."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"collection": "supplies", "feature_id": 12, "quantity": 20, "note": "帐篷"},
                {"collection": "rescue_teams", "feature_id": 3, "people": 25, "vehicles": 4},
            ]
        },
    )
    collection: Literal["rescue_teams", "supplies"]
    feature_id: int = Field(ge=1, le=2**63 - 1)
    quantity: float | None = Field(default=None, gt=0, le=1e12, description="Supplies only")
    people: int | None = Field(default=None, ge=0, le=100_000, description="Teams only")
    vehicles: int | None = Field(default=None, ge=0, le=10_000, description="Teams only")
    note: str | None = Field(default=None, max_length=500)


class DispatchUpdate(BaseModel):
    """The next status; on release of supplies, how much comes back unused."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"status": "released", "returned_quantity": 5}},
    )
    status: Literal["en_route", "on_site", "released"]
    returned_quantity: float | None = Field(default=None, ge=0, le=1e12)


def _eta(session: Session, settings: Settings) -> EtaFn:
    """Travel time from the resource to the incident over the loaded road network."""

    def eta(collection: str, fid: int, incident_id: int) -> float | None:
        require_network(session)
        roads = RoadService.from_settings(session, settings)
        row = session.execute(
            text("SELECT ST_X(geom), ST_Y(geom) FROM incidents WHERE id = :id"),
            {"id": incident_id},
        ).first()
        if row is None:
            raise NotFound(f"no incident {incident_id}")
        route = roads.route(roads.feature_point(collection, fid), Origin(row[0], row[1]))
        return float(route["properties"]["eta_s"])

    return eta


@router.get("/incidents/{incident_id}/dispatches", summary="What was sent to the incident")
def list_dispatches(
    session: SessionDep, principal: PrincipalDep, incident_id: IncidentId
) -> FastJSONResponse:
    return FastJSONResponse(DispatchService(session, principal).list(incident_id))


@router.post(
    "/incidents/{incident_id}/dispatches",
    status_code=201,
    summary="Send a team or a quantity of supplies to the incident (editor)",
    responses={409: {"description": "Not enough stock, or the team is not available"}},
    dependencies=[EDITOR],
)
def create_dispatch(
    session: WriteSessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    incident_id: IncidentId,
    body: DispatchIn,
) -> FastJSONResponse:
    service = DispatchService(session, principal, eta=_eta(session, settings))
    result = service.assign(incident_id, DispatchInput(**body.model_dump()))
    # committed by WriteSessionDep before the 201 is sent
    return FastJSONResponse(result, status_code=201)


@router.patch(
    "/incidents/{incident_id}/dispatches/{dispatch_id}",
    summary="Advance a dispatch: en route, on site, released (editor)",
    dependencies=[EDITOR],
)
def update_dispatch(
    session: WriteSessionDep,
    principal: PrincipalDep,
    incident_id: IncidentId,
    dispatch_id: DispatchId,
    body: DispatchUpdate,
) -> FastJSONResponse:
    result = DispatchService(session, principal).advance(
        incident_id, dispatch_id, body.status, body.returned_quantity
    )
    return FastJSONResponse(result)
