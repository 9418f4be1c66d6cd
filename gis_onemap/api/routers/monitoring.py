"""``/monitoring`` and ``/warnings``: sensors on hazard sources, batched readings, warnings.

Parsing only: the work is in :mod:`gis_onemap.monitoring`. Feeds post readings with an editor
token; the batch is committed (readings and the warnings they open) before the answer, so a 2xx
means the warning exists.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from gis_onemap.api.deps import SessionDep, SettingsDep, WriteSessionDep
from gis_onemap.api.responses import FastJSONResponse, GeoJSONResponse
from gis_onemap.auth.deps import EDITOR
from gis_onemap.errors import InvalidInput
from gis_onemap.monitoring.ingest import IngestLimits, Reading, ingest
from gis_onemap.monitoring.levels import sensor_types
from gis_onemap.monitoring.repository import MonitoringRepository
from gis_onemap.settings import Settings

router = APIRouter(tags=["Monitoring"])

PointId = Annotated[int, Path(ge=1, le=2**63 - 1)]


class ReadingIn(BaseModel):
    """One reading: the sensor's code, when it was measured (with a time zone), the value."""

    model_config = ConfigDict(extra="forbid")
    point: str = Field(min_length=1, max_length=64, description="The monitoring point's code")
    observed_at: AwareDatetime = Field(description="When it was measured (RFC 3339 with offset)")
    value: float = Field(description="The measured value, in the point's unit")


class ReadingsIn(BaseModel):
    """A batch of readings (all or nothing)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "readings": [
                    {
                        "point": "ZJ-LT-001",
                        "observed_at": "2026-12-01T08:00:00+08:00",
                        "value": 12.5,
                    }
                ]
            }
        },
    )
    readings: list[ReadingIn] = Field(min_length=1, description="The readings, in any order")


class PointIn(BaseModel):
    """A sensor attached to a hazard source, with the value at which each warning level starts."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "code": "ZJ-LT-001",
                "name": "1号液氨储罐液位",
                "hazard_source_id": 1,
                "sensor_type": "liquid_level",
                "direction": "above",
                "thresholds": {"yellow": 8.0, "orange": 9.0, "red": 9.5},
                "interval_s": 60,
            }
        },
    )
    code: str = Field(min_length=1, max_length=64, pattern=r"^[\w.:-]+$")
    name: str = Field(min_length=1, max_length=200)
    hazard_source_id: int = Field(ge=1, le=2**63 - 1)
    sensor_type: str = Field(
        min_length=1, max_length=40, description="See /monitoring/sensor-types"
    )
    unit: str | None = Field(default=None, max_length=20, description="Default: the type's unit")
    direction: Literal["above", "below"] = Field(
        default="above", description="Warn on high values (above) or low values (below)"
    )
    thresholds: dict[str, float] = Field(
        max_length=4, description="Level (blue, yellow, orange, red) → value where it starts"
    )
    interval_s: int = Field(default=60, ge=1, le=86400, description="Expected reporting interval")
    lon: float | None = Field(default=None, ge=-180, le=180, description="Surveyed position")
    lat: float | None = Field(default=None, ge=-90, le=90)


def _repo(session: Session, settings: Settings) -> MonitoringRepository:
    return MonitoringRepository(session, stale_factor=settings.monitoring_stale_factor)


@router.get("/monitoring/sensor-types", summary="Sensor kinds with their labels and units")
def list_sensor_types() -> FastJSONResponse:
    return FastJSONResponse({"types": sensor_types()})


@router.get("/monitoring/points", summary="Monitoring points with their latest reading")
def list_points(
    session: SessionDep,
    settings: SettingsDep,
    hazard_source_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    stale: Annotated[bool | None, Query(description="Only stale (true) or live (false)")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 10_000,
) -> GeoJSONResponse:
    body = _repo(session, settings).points(
        hazard_source_id=hazard_source_id, stale=stale, limit=limit
    )
    return GeoJSONResponse(body)


@router.post(
    "/monitoring/points",
    status_code=201,
    summary="Register a monitoring point on a hazard source (editor)",
    dependencies=[EDITOR],
)
def create_point(
    request: Request, session: WriteSessionDep, settings: SettingsDep, body: PointIn
) -> GeoJSONResponse:
    if (body.lon is None) != (body.lat is None):
        raise InvalidInput("give both lon and lat, or neither")
    feature = _repo(session, settings).create_point(body.model_dump())
    # committed by WriteSessionDep before the 201 is sent
    location = str(request.url_for("get_point", point_id=feature["id"]))
    return GeoJSONResponse(feature, status_code=201, headers={"Location": location})


@router.get("/monitoring/points/{point_id}", summary="One monitoring point")
def get_point(session: SessionDep, settings: SettingsDep, point_id: PointId) -> GeoJSONResponse:
    return GeoJSONResponse(_repo(session, settings).point(point_id))


@router.delete(
    "/monitoring/points/{point_id}",
    status_code=204,
    summary="Remove a monitoring point and its readings (editor)",
    dependencies=[EDITOR],
)
def delete_point(session: WriteSessionDep, settings: SettingsDep, point_id: PointId) -> Response:
    _repo(session, settings).delete_point(point_id)
    return Response(status_code=204)


@router.get("/monitoring/points/{point_id}/readings", summary="A point's readings over time")
def point_readings(
    session: SessionDep,
    settings: SettingsDep,
    point_id: PointId,
    start: Annotated[AwareDatetime | None, Query(description="From (default: 24 h ago)")] = None,
    end: Annotated[AwareDatetime | None, Query(description="Until (default: now)")] = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
) -> FastJSONResponse:
    end = end or datetime.now(UTC)
    start = start or end - timedelta(days=1)
    if start >= end:
        raise InvalidInput("start must be before end")
    return FastJSONResponse(_repo(session, settings).series(point_id, start, end, limit))


@router.post(
    "/monitoring/readings",
    summary="Post a batch of readings; crossings open warnings (editor)",
    responses={422: {"description": "Every problem in the batch; nothing was stored"}},
    dependencies=[EDITOR],
)
def post_readings(
    session: WriteSessionDep, settings: SettingsDep, body: ReadingsIn
) -> FastJSONResponse:
    limits = IngestLimits(
        max_batch=settings.monitoring_max_batch,
        future_tolerance_s=settings.monitoring_future_tolerance_s,
        max_age_days=settings.monitoring_max_age_days,
    )
    readings = [Reading(r.point, r.observed_at, r.value) for r in body.readings]
    result = ingest(session, readings, limits)
    # WriteSessionDep commits the readings and their warnings before this is sent
    return FastJSONResponse(result.as_json())


@router.get("/warnings", summary="Warnings raised by monitoring readings, newest first")
def list_warnings(
    session: SessionDep,
    settings: SettingsDep,
    active: Annotated[bool, Query(description="Only open warnings (default) or all")] = True,
    hazard_source_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> GeoJSONResponse:
    body = _repo(session, settings).warnings(
        active=active, hazard_source_id=hazard_source_id, limit=limit
    )
    return GeoJSONResponse(body)
