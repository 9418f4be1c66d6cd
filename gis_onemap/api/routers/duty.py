"""``/duty``: the duty roster and the duty log (issue 17).

Reading needs a viewer's token (the roster holds phone numbers: personal data), writing an
editor's; writes are committed before the answer. The work is in :mod:`gis_onemap.duty.service`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from gis_onemap.api.deps import SessionDep, WriteSessionDep
from gis_onemap.api.responses import FastJSONResponse
from gis_onemap.auth.deps import EDITOR, PrincipalDep, require_role
from gis_onemap.auth.principal import Role
from gis_onemap.duty.service import DutyService, LogInput, ShiftInput
from gis_onemap.errors import InvalidInput

router = APIRouter(tags=["Duty"])
VIEWER = Depends(require_role(Role.viewer))
ShiftId = Annotated[int, Path(ge=1, le=2**63 - 1)]


class ShiftIn(BaseModel):
    """One shift of the roster."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "starts_at": "2026-12-01T08:30:00+08:00",
                "ends_at": "2026-12-02T08:30:00+08:00",
                "person": "陈值班",
                "post": "值班员",
                "phone": "0759-3333333",
            }
        },
    )
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    person: str = Field(min_length=1, max_length=100)
    post: str = Field(min_length=1, max_length=100, description="带班领导, 值班员, 技术值班 ...")
    phone: str | None = Field(default=None, max_length=50)
    region_code: str | None = Field(default=None, pattern=r"^\d{2,6}$")
    note: str | None = Field(default=None, max_length=1000)


class LogIn(BaseModel):
    """One entry of the duty log."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {"kind": "call", "text": "接市消防支队电话：霞山区仓库火情已控制"}
        },
    )
    kind: Literal["event", "action", "call", "handover", "note"]
    text: str = Field(min_length=1, max_length=4000)
    at: AwareDatetime | None = Field(default=None, description="Default: now")
    shift_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    incident_id: int | None = Field(default=None, ge=1, le=2**63 - 1)


@router.get("/duty/shifts", summary="The roster between two times (viewer)", dependencies=[VIEWER])
def roster(
    session: SessionDep,
    principal: PrincipalDep,
    start: Annotated[AwareDatetime, Query()],
    end: Annotated[AwareDatetime, Query()],
) -> FastJSONResponse:
    if end <= start or end - start > timedelta(days=366):
        raise InvalidInput("end must be after start, at most 366 days later")
    shifts = DutyService(session, principal.actor).roster(start, end)
    return FastJSONResponse({"shifts": shifts})


@router.get("/duty/now", summary="Who is on duty now (viewer)", dependencies=[VIEWER])
def on_duty(
    session: SessionDep,
    principal: PrincipalDep,
    at: Annotated[AwareDatetime | None, Query(description="Default: now")] = None,
) -> FastJSONResponse:
    when = at or datetime.now().astimezone()
    return FastJSONResponse(
        {"at": when.isoformat(), "shifts": DutyService(session, principal.actor).on_duty(when)}
    )


@router.post(
    "/duty/shifts",
    status_code=201,
    summary="Book a shift (editor)",
    responses={409: {"description": "The person already has an overlapping shift"}},
    dependencies=[EDITOR],
)
def add_shift(session: WriteSessionDep, principal: PrincipalDep, body: ShiftIn) -> FastJSONResponse:
    shift = DutyService(session, principal.actor).add_shift(ShiftInput(**body.model_dump()))
    return FastJSONResponse(shift, status_code=201)


@router.delete(
    "/duty/shifts/{shift_id}", status_code=204, summary="Remove a shift (editor)",
    dependencies=[EDITOR],
)  # fmt: skip
def delete_shift(session: WriteSessionDep, principal: PrincipalDep, shift_id: ShiftId) -> Response:
    DutyService(session, principal.actor).delete_shift(shift_id)
    return Response(status_code=204)


@router.get("/duty/log", summary="The duty log, newest first (viewer)", dependencies=[VIEWER])
def read_log(
    session: SessionDep,
    principal: PrincipalDep,
    start: Annotated[AwareDatetime | None, Query()] = None,
    end: Annotated[AwareDatetime | None, Query()] = None,
    shift_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    incident_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> FastJSONResponse:
    entries = DutyService(session, principal.actor).log(
        start=start, end=end, shift_id=shift_id, incident_id=incident_id, limit=limit
    )
    return FastJSONResponse({"entries": entries})


@router.post(
    "/duty/log", status_code=201, summary="Write to the duty log (editor)", dependencies=[EDITOR]
)
def write_log(session: WriteSessionDep, principal: PrincipalDep, body: LogIn) -> FastJSONResponse:
    entry = DutyService(session, principal.actor).add_log(LogInput(**body.model_dump()))
    return FastJSONResponse(entry, status_code=201)
