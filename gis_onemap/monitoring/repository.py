"""Monitoring points, warnings and series: reads and the point register (editor writes).

Points and warnings carry the region of their hazard source, so the same row-level security as
the 8 categories (migration 0005, extended in 0014) keeps a region-limited token inside its
regions. Geometry: the point's own position when surveyed, else a point on its hazard source.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gis_onemap.errors import Conflict, NotFound, ValidationFailed
from gis_onemap.monitoring.levels import LEVELS, sensor_types, threshold_problems

_LEVEL_ZH = {"blue": "蓝色", "yellow": "黄色", "orange": "橙色", "red": "红色"}

_HAZARD = text("SELECT region_code FROM hazard_sources WHERE id = :id")
_CREATE = text(
    "INSERT INTO monitoring_points (code, name, hazard_source_id, sensor_type, unit, direction,"
    " thresholds, interval_s, region_code, geom) VALUES (:code, :name, :h, :st, :unit, :dir,"
    " CAST(:th AS jsonb), :iv, :r,"
    " CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL"
    " ELSE ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) END) RETURNING id"
)
# stale: no reading within stale_factor x the point's interval (never reported: since it was
# registered); the clock is the database's, the same one that stamps the readings' arrival
_POINTS = text(
    """
    SELECT json_build_object(
        'type', 'Feature', 'id', p.id,
        'geometry', ST_AsGeoJSON(coalesce(p.geom, ST_PointOnSurface(h.geom)), 7)::json,
        'properties', json_build_object(
            'code', p.code, 'name', p.name, 'hazard_source_id', p.hazard_source_id,
            'hazard_source_name', h.name, 'sensor_type', p.sensor_type, 'unit', p.unit,
            'direction', p.direction, 'thresholds', p.thresholds, 'interval_s', p.interval_s,
            'region_code', p.region_code, 'last_observed_at', s.last_observed_at,
            'last_value', s.last_value, 'last_level', s.last_level,
            'stale', x.stale, 'open_warning', w.level))
    FROM monitoring_points p
    JOIN hazard_sources h ON h.id = p.hazard_source_id
    LEFT JOIN monitoring_state s ON s.point_id = p.id
    LEFT JOIN monitoring_warnings w ON w.point_id = p.id AND w.closed_at IS NULL
    CROSS JOIN LATERAL (SELECT coalesce(s.last_observed_at, p.created_at)
        < now() - make_interval(secs => p.interval_s * CAST(:factor AS float8)) AS stale) x
    WHERE (CAST(:hazard AS bigint) IS NULL OR p.hazard_source_id = :hazard)
      AND (CAST(:stale AS boolean) IS NULL OR x.stale = :stale)
      AND (CAST(:pid AS bigint) IS NULL OR p.id = :pid)
    ORDER BY p.id LIMIT :limit
    """
)
_WARNINGS = text(
    """
    SELECT json_build_object(
        'type', 'Feature', 'id', w.id,
        'geometry', ST_AsGeoJSON(coalesce(p.geom, ST_PointOnSurface(h.geom)), 7)::json,
        'properties', json_build_object(
            'level', w.level, 'level_zh', CAST(:zh AS jsonb) ->> w.level, 'value', w.value,
            'threshold', w.threshold, 'unit', p.unit, 'opened_at', w.opened_at,
            'raised_at', w.raised_at, 'escalated_at', w.escalated_at, 'closed_at', w.closed_at,
            'active', w.closed_at IS NULL, 'point', p.code, 'point_name', p.name,
            'sensor_type', p.sensor_type, 'hazard_source_id', w.hazard_source_id,
            'hazard_source_name', h.name, 'region_code', w.region_code))
    FROM monitoring_warnings w
    JOIN monitoring_points p ON p.id = w.point_id
    JOIN hazard_sources h ON h.id = w.hazard_source_id
    WHERE (NOT CAST(:active AS boolean) OR w.closed_at IS NULL)
      AND (CAST(:hazard AS bigint) IS NULL OR w.hazard_source_id = :hazard)
    ORDER BY w.opened_at DESC, w.id DESC LIMIT :limit
    """
)
_SERIES = text(
    "SELECT observed_at, value FROM monitoring_readings WHERE point_id = :pid"
    " AND observed_at >= :start AND observed_at < :end ORDER BY observed_at LIMIT :limit"
)


def _collection(features: list[Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features, "numberReturned": len(features)}


class MonitoringRepository:
    """Points, warnings and readings over one session."""

    def __init__(self, session: Session, *, stale_factor: float = 3.0) -> None:
        self.session = session
        self.stale_factor = stale_factor

    def create_point(self, body: dict[str, Any]) -> dict[str, Any]:
        """Register a sensor on a hazard source; 422 with every problem, nothing written."""
        problems = threshold_problems(body["thresholds"], body["direction"])
        types = sensor_types()
        if body["sensor_type"] not in types:
            problems.append(
                f"unknown sensor_type {body['sensor_type'][:40]!r} (use {', '.join(types)})"
            )
        hazard = self.session.execute(_HAZARD, {"id": body["hazard_source_id"]}).first()
        if hazard is None:
            problems.append(f"no hazard source {body['hazard_source_id']}")
        if problems:
            raise ValidationFailed("the monitoring point is not valid", details=problems)
        unit = body.get("unit") or types[body["sensor_type"]]["unit"]
        lon, lat = body.get("lon"), body.get("lat")
        try:
            with self.session.begin_nested():
                pid = self.session.execute(
                    _CREATE,
                    {
                        "code": body["code"],
                        "name": body["name"],
                        "h": body["hazard_source_id"],
                        "st": body["sensor_type"],
                        "unit": unit,
                        "dir": body["direction"],
                        "th": _json(body["thresholds"]),
                        "iv": body["interval_s"],
                        "r": hazard.region_code if hazard else None,
                        "lon": lon,
                        "lat": lat,
                    },
                ).scalar_one()
        except IntegrityError as exc:
            if "uq_monitoring_points_code" in str(exc.orig):
                raise Conflict(f"a monitoring point with code {body['code']!r} exists") from exc
            raise
        return self.point(pid)

    def point(self, pid: int) -> dict[str, Any]:
        """One point as a GeoJSON feature (404 when unknown or outside the caller's regions)."""
        found = self.points(point_id=pid)["features"]
        if not found:
            raise NotFound(f"no monitoring point {pid}")
        return dict(found[0])

    def points(
        self,
        *,
        hazard_source_id: int | None = None,
        stale: bool | None = None,
        point_id: int | None = None,
        limit: int = 10_000,
    ) -> dict[str, Any]:
        """Points with their latest reading, open warning and whether they are stale."""
        rows = self.session.execute(
            _POINTS,
            {
                "factor": self.stale_factor,
                "hazard": hazard_source_id,
                "stale": stale,
                "pid": point_id,
                "limit": limit,
            },
        ).scalars()
        return _collection(list(rows))

    def delete_point(self, pid: int) -> None:
        """Remove a point with its readings' state and warnings (its readings age out)."""
        gone = self.session.execute(
            text("DELETE FROM monitoring_points WHERE id = :id RETURNING id"), {"id": pid}
        ).first()
        if gone is None:
            raise NotFound(f"no monitoring point {pid}")
        self.session.execute(text("DELETE FROM monitoring_readings WHERE point_id = :id"),
                             {"id": pid})  # fmt: skip

    def warnings(
        self, *, active: bool = True, hazard_source_id: int | None = None, limit: int = 1000
    ) -> dict[str, Any]:
        """Warnings, newest first: open ones only unless ``active`` is false."""
        rows = self.session.execute(
            _WARNINGS,
            {"active": active, "hazard": hazard_source_id, "limit": limit, "zh": _json(_LEVEL_ZH)},
        ).scalars()
        return _collection(list(rows))

    def series(self, pid: int, start: datetime, end: datetime, limit: int) -> dict[str, Any]:
        """A point's readings in ``[start, end)``, oldest first (partition pruning on time)."""
        self.point(pid)  # 404 (and region scope) before reading the series
        rows = self.session.execute(
            _SERIES, {"pid": pid, "start": start, "end": end, "limit": limit}
        ).all()
        return {
            "point_id": pid,
            "readings": [{"observed_at": t.isoformat(), "value": v} for t, v in rows],
            "numberReturned": len(rows),
        }


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


__all__ = ["LEVELS", "MonitoringRepository"]
