"""Team positions (issue 17).

``POST /positions`` (batched, from field devices), ``GET /positions/latest`` (each team's newest
good point) and ``GET /rescue_teams/{id}/track`` (time-ordered). Reads need a token (viewer and
above): where teams are is operational data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy import text

from gis_onemap.api.bodies import request_body
from gis_onemap.api.deps import JsonBody, SessionDep, SettingsDep, ViewerDep, WriteSessionDep
from gis_onemap.api.responses import FastJSONResponse, GeoJSONResponse
from gis_onemap.auth.deps import EDITOR, require_role
from gis_onemap.auth.principal import Role
from gis_onemap.errors import InvalidInput, NotFound
from gis_onemap.live.positions import check_batch, position_json, store

router = APIRouter(tags=["Positions"])
VIEWER = Depends(require_role(Role.viewer))

BATCH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["positions"],
    "properties": {
        "crs": {"type": "string", "description": "CRS of lon/lat (default WGS84; 'gcj02'…)"},
        "positions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["team_id", "lon", "lat", "time"],
                "properties": {
                    "team_id": {"type": "integer", "minimum": 1},
                    "lon": {"type": "number"},
                    "lat": {"type": "number"},
                    "time": {"type": "string", "format": "date-time"},
                    "speed": {"type": "number", "minimum": 0, "description": "m/s"},
                    "heading": {"type": "number", "minimum": 0, "maximum": 360},
                },
            },
        },
    },
}
BATCH_EXAMPLE = {
    "crs": "gcj02",
    "positions": [
        {"team_id": 1, "lon": 110.3649, "lat": 21.2681, "time": "2026-12-01T08:00:00+08:00",
         "speed": 8.5, "heading": 270},
    ],
}  # fmt: skip


@router.post(
    "/positions",
    summary="Team positions, batched (duplicates ignored; doubtful points kept but flagged)",
    dependencies=[EDITOR],
    responses={
        413: {"description": "More positions than positions_max_batch"},
        422: {"description": "Every problem listed (details: index, property); none stored"},
    },
    openapi_extra=request_body(BATCH_SCHEMA, BATCH_EXAMPLE),
)
def post_positions(
    session: WriteSessionDep, settings: SettingsDep, viewer: ViewerDep, body: JsonBody
) -> FastJSONResponse:
    batch = check_batch(body, settings.positions_max_batch)
    result = store(
        session,
        viewer,
        batch,
        max_speed_kmh=settings.positions_max_speed_kmh,
        future_tolerance_s=settings.positions_future_tolerance_s,
    )
    return FastJSONResponse(
        {
            "received": result.received,
            "stored": result.stored,
            "duplicates": result.duplicates,
            "flagged": result.flagged,
            "events": result.events,
        }
    )


def _feature(p: dict[str, Any]) -> dict[str, Any]:
    props = {k: v for k, v in p.items() if k not in ("lon", "lat")}
    return {
        "type": "Feature",
        "id": f"{p['team_id']}@{p['time']}",
        "geometry": {"type": "Point", "coordinates": [p["lon"], p["lat"]]},
        "properties": props,
    }


@router.get("/positions/latest", summary="Each team's newest position", dependencies=[VIEWER])
def latest_positions(
    session: SessionDep,
    include_flagged: Annotated[
        bool, Query(description="Also points flagged future/impossible_speed")
    ] = False,
) -> GeoJSONResponse:
    # one backward scan of the (team_id, observed_at) index per team, however long the tracks
    rows = session.execute(
        text(
            "SELECT p.team_id, t.name, p.observed_at, p.speed_mps, p.heading_deg, p.flags, "
            "ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat FROM rescue_teams t "
            "CROSS JOIN LATERAL (SELECT * FROM team_positions q WHERE q.team_id = t.id "
            "AND (:flagged OR cardinality(q.flags) = 0) ORDER BY q.observed_at DESC LIMIT 1) p "
            "ORDER BY p.team_id"
        ),
        {"flagged": include_flagged},
    )
    features = [_feature(position_json(r, r.name)) for r in rows]
    return GeoJSONResponse({"type": "FeatureCollection", "features": features})


@router.get(
    "/rescue_teams/{team_id}/track",
    summary="A team's track: its positions in time order",
    dependencies=[VIEWER],
)
def team_track(
    session: SessionDep,
    settings: SettingsDep,
    team_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    start: Annotated[datetime | None, Query(description="From this time (inclusive)")] = None,
    end: Annotated[datetime | None, Query(description="Up to this time (inclusive)")] = None,
    limit: Annotated[
        int | None, Query(ge=1, description="Most points (≤ positions_max_track)")
    ] = None,
    include_flagged: Annotated[bool, Query()] = True,
) -> GeoJSONResponse:
    if start is not None and end is not None and end < start:
        raise InvalidInput("'end' is before 'start'")
    for value, name in ((start, "start"), (end, "end")):
        if value is not None and value.tzinfo is None:
            raise InvalidInput(f"'{name}' needs a time zone offset, e.g. +08:00")
    team = session.execute(
        text("SELECT id, name FROM rescue_teams WHERE id = :id"), {"id": team_id}
    ).first()
    if team is None:
        raise NotFound(f"no rescue team {team_id}")
    n = min(limit or settings.positions_max_track, settings.positions_max_track)
    rows = session.execute(
        text(
            "SELECT team_id, observed_at, speed_mps, heading_deg, flags, "
            "ST_X(geom) AS lon, ST_Y(geom) AS lat FROM team_positions "
            "WHERE team_id = :id AND (CAST(:start AS timestamptz) IS NULL OR observed_at >= :start)"
            " AND (CAST(:end AS timestamptz) IS NULL OR observed_at <= :end)"
            " AND (:flagged OR cardinality(flags) = 0) "
            "ORDER BY observed_at LIMIT :n"
        ),
        {"id": team_id, "start": start, "end": end, "flagged": include_flagged, "n": n + 1},
    ).all()
    features = [_feature(position_json(r, team.name)) for r in rows[:n]]
    return GeoJSONResponse(
        {
            "type": "FeatureCollection",
            "team_id": team_id,
            "team_name": team.name,
            "truncated": len(rows) > n,
            "features": features,
        }
    )
