"""Team positions from field devices (issue 17).

Batched, any supported CRS (GCJ-02 too), tolerant of late, out-of-order and duplicate points.

A batch is checked as a whole first: every problem of every point is listed in one 422 and
nothing is written (a device resends the corrected batch; nothing half-written). A valid
batch is one ``INSERT … SELECT FROM unnest(…)`` with ``ON CONFLICT (team_id, observed_at) DO
NOTHING``: a point sent twice (a retry over a slow satellite link) is stored once, a late one
slots into its place in time. Doubtful points are kept but flagged, so nothing a device sent
is lost and the map never jumps to them:

* ``future``: timed more than ``positions_future_tolerance_s`` ahead of the server clock;
* ``impossible_speed``: every neighbour in time (previous and next point of the team) implies
  a speed above ``positions_max_speed_kmh`` — one outlier between two good points is flagged,
  the good points are not. Neighbours of new points are re-judged when a late point arrives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis_onemap.auth.principal import Principal
from gis_onemap.crs import CRSError, to_wgs84
from gis_onemap.errors import LimitExceeded, ValidationFailed
from gis_onemap.live.events import publish

_SQL = Path(__file__).parent / "sql"
_INSERT = text((_SQL / "positions_insert.sql").read_text(encoding="utf-8"))
_JUDGE = text((_SQL / "positions_judge_speed.sql").read_text(encoding="utf-8"))
#: Fastest plausible speed a device may report (m/s): faster is a garbled value.
MAX_REPORTED_SPEED_MPS = 400.0


@dataclass(frozen=True)
class PositionBatch:
    """A checked batch, WGS84, in the order sent."""

    team_ids: list[int]
    times: list[datetime]
    lons: list[float]
    lats: list[float]
    speeds: list[float | None]
    headings: list[float | None]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _time(value: Any) -> datetime | None:
    """An ISO 8601 time with its offset (a device's clock zone must be explicit).

    >>> _time("2026-12-01T08:00:00+08:00").isoformat()
    '2026-12-01T08:00:00+08:00'
    >>> _time("2026-12-01T00:00:00Z").tzname(), _time("2026-12-01T08:00:00"), _time(5)
    ('UTC', None, None)
    """
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def check_batch(body: Any, max_batch: int) -> PositionBatch:
    """The batch checked and in WGS84.

    The batch is ``{"crs": …, "positions": [{team_id, lon, lat, time, speed, heading}]}``;
    ``ValidationFailed`` listing every problem (``details``: index, property, message),
    ``LimitExceeded`` (413) for a batch above ``max_batch``.
    """
    if not isinstance(body, dict) or not isinstance(body.get("positions"), list):
        raise ValidationFailed('send {"positions": [{"team_id", "lon", "lat", "time"}]}')
    items = body["positions"]
    if not items:
        raise ValidationFailed("'positions' is empty")
    if len(items) > max_batch:
        raise LimitExceeded(f"{len(items)} positions in one batch; at most {max_batch} allowed")
    problems: list[dict[str, Any]] = []
    rows: list[tuple[int, datetime, float, float, float | None, float | None]] = []

    def bad(i: int, prop: str, message: str) -> None:
        problems.append({"index": i, "property": prop, "message": message})

    for i, item in enumerate(items):
        if not isinstance(item, dict):
            bad(i, "", "each position must be an object")
            continue
        team = item.get("team_id")
        if isinstance(team, bool) or not isinstance(team, int) or not 1 <= team < 2**63:
            bad(i, "team_id", "must be a rescue team id (a positive whole number)")
        lon, lat = _number(item.get("lon")), _number(item.get("lat"))
        if lon is None:
            bad(i, "lon", "must be a finite number")
        if lat is None:
            bad(i, "lat", "must be a finite number")
        when = _time(item.get("time"))
        if when is None:
            bad(
                i,
                "time",
                "must be an ISO 8601 time with its offset, e.g. 2026-12-01T08:00:00+08:00",
            )
        speed = item.get("speed")
        speed_v = None if speed is None else _number(speed)
        if speed is not None and (speed_v is None or not 0 <= speed_v <= MAX_REPORTED_SPEED_MPS):
            bad(i, "speed", f"must be a number of m/s within [0, {MAX_REPORTED_SPEED_MPS:g}]")
        heading = item.get("heading")
        heading_v = None if heading is None else _number(heading)
        if heading is not None and (heading_v is None or not 0 <= heading_v <= 360):
            bad(i, "heading", "must be degrees clockwise from north within [0, 360]")
        if not problems or problems[-1]["index"] != i:
            assert isinstance(team, int) and lon is not None and lat is not None and when
            rows.append(
                (team, when, lon, lat, speed_v, None if heading_v is None else heading_v % 360)
            )
    if problems:
        raise ValidationFailed(_summary(problems), details=problems)
    lons, lats = _to_wgs84([r[2] for r in rows], [r[3] for r in rows], body.get("crs"))
    for i, (x, y) in enumerate(zip(lons, lats, strict=True)):
        if not (np.isfinite(x) and np.isfinite(y) and abs(x) <= 180 and abs(y) <= 90):
            bad(i, "lon", "the position is outside longitude [-180, 180] / latitude [-90, 90]")
    if problems:
        raise ValidationFailed(_summary(problems), details=problems)
    return PositionBatch(
        [r[0] for r in rows],
        [r[1] for r in rows],
        [float(x) for x in lons],
        [float(y) for y in lats],
        [r[4] for r in rows],
        [r[5] for r in rows],
    )


def _to_wgs84(xs: list[float], ys: list[float], crs: Any) -> tuple[Any, Any]:
    if crs is not None and not isinstance(crs, str | int):
        raise ValidationFailed("'crs' must be a CRS name such as 'EPSG:4490' or 'gcj02'")
    try:
        return to_wgs84(np.asarray(xs), np.asarray(ys), crs)
    except CRSError as exc:
        raise ValidationFailed(f"crs: {exc}") from None


def _summary(problems: list[dict[str, Any]]) -> str:
    first = "; ".join(
        f"position {p['index']}: '{p['property']}' {p['message']}" for p in problems[:5]
    )
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    return f"no position was stored: {first}{more}"


def check_teams(session: Session, principal: Principal, batch: PositionBatch) -> dict[int, Any]:
    """The batch's teams (id → row with name and region).

    ``ValidationFailed`` naming every position whose team is unknown or outside the caller's
    regions.
    """
    wanted = sorted(set(batch.team_ids))
    rows = session.execute(
        text("SELECT id, name, region_code FROM rescue_teams WHERE id = ANY(:ids)"),
        {"ids": wanted},
    )
    teams = {int(r.id): r for r in rows}
    problems = []
    for i, team in enumerate(batch.team_ids):
        row = teams.get(team)
        if row is None:
            problems.append(
                {"index": i, "property": "team_id", "message": f"no rescue team {team}"}
            )
        elif not principal.in_region(row.region_code):
            problems.append(
                {
                    "index": i,
                    "property": "team_id",
                    "message": f"team {team} is in region {row.region_code}, outside the "
                    "regions of this token",
                }
            )
    if problems:
        raise ValidationFailed(_summary(problems), details=problems)
    return teams


@dataclass(frozen=True)
class StoreResult:
    """What one batch of positions did: received, stored, flagged points, event ids."""

    received: int
    stored: int
    flagged: list[dict[str, Any]]
    events: list[int]

    @property
    def duplicates(self) -> int:
        """The points of the batch that were already stored."""
        return self.received - self.stored


def store(
    session: Session,
    principal: Principal,
    batch: PositionBatch,
    *,
    max_speed_kmh: float,
    future_tolerance_s: float,
) -> StoreResult:
    """Write a checked batch (duplicates ignored), judge speeds, publish per region.

    One ``positions`` event per region with each team's newest good point of the batch.
    """
    teams = check_teams(session, principal, batch)
    inserted = session.execute(
        _INSERT,
        {
            "team_ids": batch.team_ids,
            "times": batch.times,
            "lons": batch.lons,
            "lats": batch.lats,
            "speeds": batch.speeds,
            "headings": batch.headings,
            "future_s": future_tolerance_s,
        },
    ).all()
    new_ids = [int(r.id) for r in inserted]
    if new_ids:
        session.execute(_JUDGE, {"ids": new_ids, "max_mps": max_speed_kmh / 3.6})
    rows = session.execute(
        text(
            "SELECT id, team_id, observed_at, speed_mps, heading_deg, flags, "
            "ST_X(geom) AS lon, ST_Y(geom) AS lat FROM team_positions WHERE id = ANY(:ids)"
        ),
        {"ids": new_ids},
    ).all()
    flagged = [
        {"team_id": r.team_id, "time": r.observed_at.isoformat(), "flags": list(r.flags)}
        for r in rows
        if r.flags
    ]
    newest: dict[int, Any] = {}
    for r in rows:
        if not r.flags and (
            r.team_id not in newest or r.observed_at > newest[r.team_id].observed_at
        ):
            newest[r.team_id] = r
    by_region: dict[str | None, list[dict[str, Any]]] = {}
    for team_id, r in sorted(newest.items()):
        team = teams[team_id]
        by_region.setdefault(team.region_code, []).append(position_json(r, team.name))
    events = [
        publish(session, incident_id=None, kind="positions", payload={"positions": ps},
                region_code=region)
        for region, ps in sorted(by_region.items(), key=lambda kv: kv[0] or "")
    ]  # fmt: skip
    return StoreResult(len(batch.team_ids), len(new_ids), flagged, events)


def position_json(row: Any, team_name: str | None) -> dict[str, Any]:
    """A position as events and ``/positions/latest`` show it."""
    return {
        "team_id": int(row.team_id),
        "team_name": team_name,
        "lon": round(float(row.lon), 7),
        "lat": round(float(row.lat), 7),
        "time": row.observed_at.isoformat(),
        "speed": row.speed_mps,
        "heading": row.heading_deg,
        "flags": list(row.flags),
    }
