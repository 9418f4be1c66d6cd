"""Ingest a batch of readings: check, store, and open/escalate/close warnings atomically.

A batch is all or nothing: every problem (unknown sensor, value not finite, a time too far in the
future or the past) is listed in one 422 and nothing is written. Stored readings go into monthly
partitions made on demand; a reading re-sent over a slow link is a duplicate of its
(point, time) key and is dropped (``ON CONFLICT DO NOTHING``), so feeds may retry freely.

Warnings follow the newest reading of each point, in time order, inside the same transaction as
the readings (so a warning exists exactly when the crossing reading is committed):

- no open warning and a reading reaches a level → a warning opens at that level;
- an open warning and a more severe level → it is escalated (level, value, ``escalated_at``);
- an open warning and a reading below every threshold → it closes (``closed_at``).

A less severe, still warning reading keeps the warning at its peak: standing a warning down
below its peak is the duty officer's call, not the sensor's. Readings older than the point's
latest one (late over a slow link) are stored for the record but do not move the warning state:
the situation they describe has already been superseded by a newer reading.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis_onemap.errors import LimitExceeded, ValidationFailed
from gis_onemap.live.events import publish
from gis_onemap.monitoring.levels import RANK, level_for

# Batches travel as one JSON parameter each way (``jsonb_to_recordset``): psycopg dumps a
# Python list element by element, which cost more than the database's work for a batch of 100
# (3 ms of a 19-ms batch, measured with py-spy by bench/monitoring.py's server)
_POINTS = text(
    "SELECT id, code, thresholds::text AS thresholds, direction, hazard_source_id, region_code "
    "FROM monitoring_points "
    "WHERE code IN (SELECT jsonb_array_elements_text(CAST(:codes AS jsonb))) "
    "ORDER BY id FOR NO KEY UPDATE"
)
_ENSURE = text("SELECT monitoring_ensure_partitions(:first, :last)")
_INSERT = text(
    "INSERT INTO monitoring_readings (observed_at, point_id, value) "
    "SELECT t, p, v FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(t timestamptz, p int,"
    " v real) ON CONFLICT DO NOTHING RETURNING point_id, observed_at, value"
)
# read after the points are locked (a join in the locking query would see the state as of its
# snapshot, not as left by the batch it waited for)
_STATE = text(
    "SELECT CAST(i.j AS bigint) AS id, s.last_observed_at, w.id AS warning_id,"
    " w.level AS warning_level "
    "FROM jsonb_array_elements(CAST(:ids AS jsonb)) AS i(j) "
    "LEFT JOIN monitoring_state s ON s.point_id = CAST(i.j AS bigint) "
    "LEFT JOIN monitoring_warnings w ON w.point_id = CAST(i.j AS bigint) AND w.closed_at IS NULL"
)
# one statement for the whole batch (a round trip per sensor would dominate a batch's time)
_UPSERT_STATE = text(
    "INSERT INTO monitoring_state (point_id, last_observed_at, last_value, last_level) "
    "SELECT p, t, v, l FROM jsonb_to_recordset(CAST(:rows AS jsonb)) "
    "AS r(p bigint, t timestamptz, v float8, l text) ON CONFLICT (point_id) DO UPDATE SET "
    "last_observed_at = EXCLUDED.last_observed_at, last_value = EXCLUDED.last_value, "
    "last_level = EXCLUDED.last_level"
)
_OPEN_WARNING = text(
    "INSERT INTO monitoring_warnings "
    "(point_id, hazard_source_id, level, value, threshold, opened_at, region_code) "
    "VALUES (:p, :h, :l, :v, :th, :t, :r) RETURNING id, raised_at"
)
_ESCALATE = text(
    "UPDATE monitoring_warnings SET level = :l, value = :v, threshold = :th, escalated_at = :t "
    "WHERE id = :id"
)
_CLOSE = text("UPDATE monitoring_warnings SET closed_at = :t WHERE id = :id")


class _Point(NamedTuple):
    id: int
    code: str
    thresholds: dict[str, float]
    direction: str
    hazard_source_id: int
    region_code: str | None


class _Stored(NamedTuple):
    point_id: int
    observed_at: datetime
    value: float


@dataclass(frozen=True)
class Reading:
    """One reading as sent: the sensor's code, when it was measured, the value."""

    point: str
    observed_at: datetime
    value: float


@dataclass(frozen=True)
class IngestLimits:
    """What a batch may hold (settings ``monitoring_*``)."""

    max_batch: int = 10_000
    future_tolerance_s: float = 300.0
    max_age_days: float = 400.0


@dataclass
class IngestResult:
    """What a batch did."""

    received: int = 0
    stored: int = 0
    duplicates: int = 0
    late: int = 0
    opened: list[dict[str, Any]] = field(default_factory=list)
    escalated: list[dict[str, Any]] = field(default_factory=list)
    closed: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The response body."""
        return {
            "received": self.received,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "late": self.late,
            "warnings": {
                "opened": self.opened,
                "escalated": self.escalated,
                "closed": self.closed,
            },
        }


def check_batch(readings: list[Reading], limits: IngestLimits, now: datetime) -> list[str]:
    """Every problem with the batch that needs no database (empty when it is fine).

    >>> now = datetime(2026, 12, 1, tzinfo=UTC)
    >>> ok = Reading("P1", now, 1.0)
    >>> check_batch([ok], IngestLimits(), now)
    []
    >>> late = Reading("P1", now - timedelta(days=500), 1.0)
    >>> check_batch([ok, Reading("P1", now + timedelta(hours=1), float("nan")), late],
    ...             IngestLimits(), now)  # doctest: +NORMALIZE_WHITESPACE
    ['readings[1]: value must be a finite number',
     'readings[1]: observed_at is 3600 s in the future (tolerance 300 s)',
     'readings[2]: observed_at is older than 400 days']
    """
    if not readings:
        return ["send at least one reading"]
    problems: list[str] = []
    latest = now + timedelta(seconds=limits.future_tolerance_s)
    earliest = now - timedelta(days=limits.max_age_days)
    for i, r in enumerate(readings):
        if not math.isfinite(r.value) or abs(r.value) > 3.4e38:  # float4 range
            problems.append(f"readings[{i}]: value must be a finite number")
        if r.observed_at.tzinfo is None:
            problems.append(f"readings[{i}]: observed_at needs a time zone")
            continue
        if r.observed_at > latest:
            ahead = (r.observed_at - now).total_seconds()
            problems.append(
                f"readings[{i}]: observed_at is {ahead:.0f} s in the future "
                f"(tolerance {limits.future_tolerance_s:g} s)"
            )
        elif r.observed_at < earliest:
            problems.append(
                f"readings[{i}]: observed_at is older than {limits.max_age_days:g} days"
            )
    return problems


def ingest(
    session: Session, readings: list[Reading], limits: IngestLimits, now: datetime | None = None
) -> IngestResult:
    """Store ``readings`` and move the warning state; raise with every problem, writing nothing.

    Runs in the caller's transaction (the HTTP write session commits before answering).
    """
    if len(readings) > limits.max_batch:
        raise LimitExceeded(
            f"a batch holds at most {limits.max_batch} readings (got {len(readings)})"
        )
    now = now or datetime.now(UTC)
    problems = check_batch(readings, limits, now)
    codes = sorted({r.point for r in readings})
    # lock the batch's points in id order: concurrent batches for the same sensors queue here
    # instead of racing on their warning state (and cannot deadlock)
    points = {
        row.code: _Point(row[0], row[1], orjson.loads(row[2]), row[3], row[4], row[5])
        for row in session.execute(_POINTS, {"codes": orjson.dumps(codes).decode()}).all()
    }
    unknown = [c for c in codes if c not in points]
    problems.extend(f"unknown sensor {c[:64]!r}" for c in unknown[:50])
    if len(unknown) > 50:
        problems.append(f"... and {len(unknown) - 50} more unknown sensors")
    if problems:
        raise ValidationFailed(
            f"{len(problems)} problem(s) in the batch; nothing was stored", details=problems
        )
    result = IngestResult(received=len(readings))
    times = [r.observed_at for r in readings]
    # a week ahead: next month's partition is made in the last days of this one, not by the
    # first batch after midnight (when every gateway would queue behind its CREATE)
    session.execute(_ENSURE, {"first": min(times), "last": max(times) + timedelta(days=7)})
    rows = [{"t": r.observed_at, "p": points[r.point].id, "v": r.value} for r in readings]
    stored = [
        _Stored(*row)
        for row in session.execute(_INSERT, {"rows": orjson.dumps(rows).decode()}).all()
    ]
    result.stored = len(stored)
    result.duplicates = len(readings) - len(stored)
    _move_warnings(session, points, stored, result)
    # warnings reach every map live, after commit (last: the bus serialises its publishers)
    regions = {p.code: p.region_code for p in points.values()}
    for change, items in (("opened", result.opened), ("escalated", result.escalated),
                          ("closed", result.closed)):  # fmt: skip
        for w in items:
            publish(
                session,
                incident_id=None,
                kind=f"warning.{change}",
                payload=w,
                region_code=regions.get(w["point"]),
            )
    return result


def _move_warnings(
    session: Session, points: dict[str, Any], stored: Sequence[Any], result: IngestResult
) -> None:
    by_id = {p.id: p for p in points.values()}
    ids = sorted({row.point_id for row in stored})
    if not ids:
        return
    last_seen: dict[int, datetime] = {}
    open_level: dict[int, str] = {}
    open_id: dict[int, int] = {}
    for pid, seen, warning_id, warning_level in session.execute(
        _STATE, {"ids": orjson.dumps(ids).decode()}
    ).all():
        if seen is not None:
            last_seen[pid] = seen
        if warning_id is not None:
            open_level[pid], open_id[pid] = warning_level, warning_id
    newest: dict[int, tuple[datetime, float, str | None]] = {}
    series: dict[int, list[Any]] = {}
    for row in stored:
        series.setdefault(row.point_id, []).append(row)
    for pid in ids:
        point = by_id[pid]
        fresh = sorted(
            (r for r in series[pid] if pid not in last_seen or r.observed_at > last_seen[pid]),
            key=lambda r: r.observed_at,
        )
        result.late += len(series[pid]) - len(fresh)
        level = None
        for r in fresh:
            level = level_for(r.value, point.thresholds, point.direction)
            current = open_level.get(pid)
            info = {
                "point": point.code,
                "hazard_source_id": point.hazard_source_id,
                "value": r.value,
                "observed_at": r.observed_at.isoformat(),
            }
            if level is not None and current is None:
                wid, raised = session.execute(
                    _OPEN_WARNING,
                    {
                        "p": pid,
                        "h": point.hazard_source_id,
                        "l": level,
                        "v": r.value,
                        "th": point.thresholds[level],
                        "t": r.observed_at,
                        "r": point.region_code,
                    },
                ).one()
                open_level[pid], open_id[pid] = level, wid
                result.opened.append(
                    {"id": wid, "level": level, "raised_at": raised.isoformat(), **info}
                )
            elif level is not None and current is not None and RANK[level] > RANK[current]:
                session.execute(
                    _ESCALATE,
                    {
                        "id": open_id[pid],
                        "l": level,
                        "v": r.value,
                        "th": point.thresholds[level],
                        "t": r.observed_at,
                    },
                )
                open_level[pid] = level
                result.escalated.append({"id": open_id[pid], "level": level, **info})
            elif level is None and current is not None:
                session.execute(_CLOSE, {"id": open_id[pid], "t": r.observed_at})
                result.closed.append({"id": open_id.pop(pid), "level": current, **info})
                del open_level[pid]
        if fresh:
            newest[pid] = (fresh[-1].observed_at, fresh[-1].value, level)
    if newest:
        pids = sorted(newest)
        rows = [{"p": i, "t": newest[i][0], "v": newest[i][1], "l": newest[i][2]} for i in pids]
        session.execute(_UPSERT_STATE, {"rows": orjson.dumps(rows).decode()})
