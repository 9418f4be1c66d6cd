"""Incident reports and their deadlines (issue 17).

``/incidents/{id}/reports``, ``/incidents/{id}/reporting`` (what is done, due, overdue),
``/incidents/{id}/report-draft``, ``/reports/deadline-table`` (GET; PUT for admins),
``/reports/overdue``.

Parsing only: the work is in :class:`gis_onemap.reports.service.ReportService`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from gis_onemap.api.deps import SessionDep, SettingsDep, WriteSessionDep
from gis_onemap.api.responses import FastJSONResponse
from gis_onemap.auth.deps import ADMIN, EDITOR, PrincipalDep
from gis_onemap.reports.service import Attachment, ReportInput, ReportService

router = APIRouter(tags=["Reports"])

IncidentId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Incident id")]
ReportId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Report id")]


class AttachmentIn(BaseModel):
    """A file: its name, media type and the bytes in base64."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    media_type: str = Field(min_length=3, max_length=100, pattern=r"^[\w.+-]+/[\w.+-]+$")
    data_base64: str = Field(min_length=1, description="The file, base64-encoded")


class ReportIn(BaseModel):
    """A report: 初报 (initial), 续报 (follow_up) or 终报 (final), verbal or written."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "kind": "initial",
                "form": "verbal",
                "text": "08:15 霞山区某仓库发生火灾，暂无人员伤亡，消防已到场。",
                "figures": {"dead": 0, "injured": 0},
            }
        },
    )
    kind: Literal["initial", "follow_up", "final"]
    form: Literal["verbal", "written"]
    text: str = Field(min_length=1, max_length=20_000)
    figures: dict[str, Any] = Field(default_factory=dict, max_length=100)
    filed_at: AwareDatetime | None = Field(default=None, description="Default: now")
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=10)


class DeadlineTableIn(BaseModel):
    """A deadline table (same shape as ``GET /reports/deadline-table``)."""

    model_config = ConfigDict(extra="allow")
    rules: list[dict[str, Any]] = Field(max_length=200)


def _service(session: Any, principal: Any, settings: Any = None) -> ReportService:
    limit = settings.report_max_attachment_bytes if settings is not None else 5 * 1024**2
    return ReportService(session, principal.actor, max_attachment_bytes=limit)


@router.get("/incidents/{incident_id}/reports", summary="The incident's reports")
def list_reports(
    session: SessionDep, principal: PrincipalDep, incident_id: IncidentId
) -> FastJSONResponse:
    return FastJSONResponse({"reports": _service(session, principal).reports(incident_id)})


@router.post(
    "/incidents/{incident_id}/reports",
    status_code=201,
    summary="File a report; it fulfils the matching deadline (editor)",
    dependencies=[EDITOR],
)
def file_report(
    session: WriteSessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    incident_id: IncidentId,
    body: ReportIn,
) -> FastJSONResponse:
    report = ReportInput(
        kind=body.kind,
        form=body.form,
        text=body.text,
        figures=body.figures,
        filed_at=body.filed_at,
        attachments=tuple(Attachment(**a.model_dump()) for a in body.attachments),
    )
    result = _service(session, principal, settings).file(incident_id, report)
    return FastJSONResponse(result, status_code=201)


@router.get("/incidents/{incident_id}/reports/{report_id}", summary="One report")
def get_report(
    session: SessionDep, principal: PrincipalDep, incident_id: IncidentId, report_id: ReportId
) -> FastJSONResponse:
    return FastJSONResponse(_service(session, principal).report(incident_id, report_id))


@router.get("/incidents/{incident_id}/reporting", summary="Reporting clocks: done, due and overdue")
def clocks(
    session: SessionDep, principal: PrincipalDep, incident_id: IncidentId
) -> FastJSONResponse:
    return FastJSONResponse(_service(session, principal).clocks(incident_id))


@router.get(
    "/incidents/{incident_id}/report-draft",
    summary="A report text drafted from the map, for the duty officer to edit",
)
def report_draft(
    session: SessionDep,
    principal: PrincipalDep,
    incident_id: IncidentId,
    radius_m: Annotated[float, Query(gt=0, le=50_000)] = 5000.0,
) -> FastJSONResponse:
    return FastJSONResponse(_service(session, principal).draft(incident_id, radius_m))


@router.get("/reports/overdue", summary="Incidents with a report past its deadline")
def overdue(session: SessionDep, principal: PrincipalDep) -> FastJSONResponse:
    return FastJSONResponse({"incident_ids": _service(session, principal).overdue_incident_ids()})


@router.get("/reports/deadline-table", summary="The reporting deadline table in force")
def get_table(session: SessionDep, principal: PrincipalDep) -> FastJSONResponse:
    return FastJSONResponse(_service(session, principal).table())


@router.put(
    "/reports/deadline-table",
    summary="Replace the deadline table (admin); a table with gaps or overlaps is refused",
    dependencies=[ADMIN],
)
def put_table(
    session: WriteSessionDep, principal: PrincipalDep, body: DeadlineTableIn
) -> FastJSONResponse:
    return FastJSONResponse(_service(session, principal).put_table(body.model_dump()))
